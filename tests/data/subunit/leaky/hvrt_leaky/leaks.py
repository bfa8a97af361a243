"""Output that carries secrets the way real tools print them."""
import base64
import json
import os
import urllib.parse

import testtools
from testtools.content import text_content


def _secrets():
    with open(os.environ["HVRT_LEAK_FILE"], encoding="utf-8") as fh:
        return json.load(fh)


def render(known, user):
    lines = []
    for secret in known:
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        lines += [
            f"plain {secret} in a sentence",
            f"export OS_PASSWORD={secret}",
            f"--os-password {secret} --os-username {user}",
            f"Authorization: Basic {basic}",
            f"X-Auth-Token: {secret}",
            json.dumps({"auth": {"password": secret, "user": user}}),
            f"url https://{user}:{urllib.parse.quote(secret, safe='')}@127.0.0.1:5000/v3",
            f"form password={urllib.parse.quote_plus(secret)}&user={user}",
            f"encoded {base64.b64encode(secret.encode()).decode()}",
            f"upper {secret.upper()} lower {secret.lower()}",
        ]
    return "\n".join(lines) + "\n"


class Leaks(testtools.TestCase):
    def test_output_holds_secrets(self):
        data = _secrets()
        text = render(data["known"], data["user"])
        self.addDetail("captured-log", text_content(text))
        self.fail("request refused:\n" + text)
