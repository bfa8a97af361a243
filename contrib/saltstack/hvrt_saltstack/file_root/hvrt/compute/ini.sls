{#- Every INI file of the node: `hvrt:ini` maps a full path to sections to keys.
    Keys that are already right are left alone, so a second apply changes nothing. -#}
{%- from "hvrt/compute/map.jinja" import ini_files, installs with context %}
{%- for path, sections in ini_files | dictsort %}
{{ ('hvrt-ini ' ~ path) | tojson }}:
  ini.options_present:
    - name: {{ path | tojson }}
    - separator: '='
    - sections: {{ sections | tojson }}
    {%- if installs %}
    - require:
      - cmd: hvrt-installer
    {%- endif %}
{%- endfor %}
