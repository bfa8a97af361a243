"""A throw-away certificate authority for the simulated nodes' HTTPS listeners.

Made once per state folder when a node starts over HTTPS: a CA certificate (the
bundle clients pass as ``ca_bundle``) and a server certificate whose subject
alternative names hold the node's loopback address and name. Nothing here is
meant for real use: keys are unencrypted files in the sandbox folder.
"""
from __future__ import annotations

import datetime
import hashlib
import ipaddress
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_LOCK = threading.Lock()


@dataclass(frozen=True)
class ServerCert:
    ca_bundle: Path
    cert: Path
    key: Path

    def der(self) -> bytes:
        pem = self.cert.read_bytes()
        return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)

    def channel_binding_hash(self) -> bytes:
        """The ``tls-server-end-point`` hash NTLM clients bind to (SHA-256 of the DER)."""
        return hashlib.sha256(self.der()).digest()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def ensure_ca(folder: Path) -> tuple[Path, Path]:
    """The CA certificate and key in ``folder``, created when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "ca.pem", folder / "ca.key"
    with _LOCK:
        if cert_path.exists() and key_path.exists():
            return cert_path, key_path
        key = _key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hvrt sandbox CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(key, hashes.SHA256())
        )
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def ensure_server_cert(folder: Path, name: str, address: str) -> ServerCert:
    """A server certificate for ``name``/``address`` signed by the CA in ``folder``."""
    ca_cert_path, ca_key_path = ensure_ca(folder)
    cert_path, key_path = folder / f"{_dns_label(name)}-{address}.pem", folder / f"{_dns_label(name)}-{address}.key"
    with _LOCK:
        if not (cert_path.exists() and key_path.exists()):
            ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
            ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
            key = _key()
            now = datetime.datetime.now(datetime.timezone.utc)
            alt_names: list[x509.GeneralName] = [x509.DNSName(_dns_label(name)), x509.DNSName("localhost")]
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(address)))
            except ValueError:
                alt_names.append(x509.DNSName(address))
            cert = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _dns_label(name))]))
                .issuer_name(ca_cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=825))
                .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(
                    x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
                )
                .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
            )
            _write_key(key_path, key)
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return ServerCert(ca_cert_path, cert_path, key_path)


def _dns_label(name: str) -> str:
    """A node name as a DNS label for the certificate (letters, digits, ``-``, ``.``)."""
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in name).strip("-.")
    return cleaned[:63] or "node"
