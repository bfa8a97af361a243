{#- Install the compute MSI with the node state's features and properties, once the
    virtual switch is right. The MSI is fetched from `installer.source` (http(s)://,
    salt://) into `installer.path`, or hvrt has already put it there; the script
    compares its SHA-256 with `installer.sha256` before msiexec starts. It reports in
    Salt's stateful-command protocol, so an installer already at the MSI's version is
    no change. -#}
{%- from "hvrt/compute/map.jinja" import hvrt, installer, installs with context %}
{%- if installs %}
{%- if installer.get('source') %}
hvrt-installer-fetched:
  file.managed:
    - name: {{ installer.path | tojson }}
    - source: {{ installer.source | tojson }}
    {%- if installer.get('sha256') %}
    - source_hash: {{ ('sha256=' ~ installer.sha256) | tojson }}
    {%- else %}
    - skip_verify: True
    {%- endif %}
    - makedirs: True
{%- endif %}

hvrt-installer:
  cmd.script:
    - source: salt://hvrt/compute/files/install_msi.ps1
    - shell: powershell
    - stateful: True
    - timeout: {{ installer.get('timeout', 1800) | int }}
    - env:
      - HVRT_MSI: {{ installer | tojson | tojson }}
    {%- if hvrt.get('vswitch') is mapping or installer.get('source') %}
    - require:
      {%- if hvrt.get('vswitch') is mapping %}
      - cmd: hvrt-vswitch
      {%- endif %}
      {%- if installer.get('source') %}
      - file: hvrt-installer-fetched
      {%- endif %}
    {%- endif %}
{%- endif %}
