{#- Hyper-V live migration on or off, with its networks and authentication. -#}
{%- from "hvrt/compute/map.jinja" import hvrt, windows with context %}
{%- set migration = hvrt.get('live_migration') %}
{%- if windows and migration is mapping %}
hvrt-live-migration:
  cmd.script:
    - source: salt://hvrt/compute/files/live_migration.ps1
    - shell: powershell
    - stateful: True
    - timeout: 300
    - env:
      - HVRT_LIVE_MIGRATION: {{ migration | tojson | tojson }}
{%- endif %}
