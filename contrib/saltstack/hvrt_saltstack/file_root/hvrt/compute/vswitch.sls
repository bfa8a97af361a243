{#- The Hyper-V virtual switch of the node state: used as it is when it exists with
    the expected type, created only when the state says so, never removed or retyped.
    Everything else waits for it (a node without its switch is not touched). -#}
{%- from "hvrt/compute/map.jinja" import hvrt, windows with context %}
{%- set switch = hvrt.get('vswitch') %}
{%- if windows and switch is mapping %}
hvrt-vswitch:
  cmd.script:
    - source: salt://hvrt/compute/files/vswitch.ps1
    - shell: powershell
    - stateful: True
    - timeout: 300
    - env:
      - HVRT_VSWITCH: {{ switch | tojson | tojson }}
{%- endif %}
