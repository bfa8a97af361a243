{#- Every INI file of the node: `hvrt:ini` maps a full path to sections to keys.
    The folders are created when missing (the MSI creates them on Windows). Keys
    that are already right are left alone, so a second apply changes nothing. -#}
{%- from "hvrt/compute/map.jinja" import hvrt, ini_files, installs with context %}
{%- for folder in hvrt.get('ini_dirs') or [] %}
{{ ('hvrt-dir ' ~ folder) | tojson }}:
  file.directory:
    - name: {{ folder | tojson }}
    - makedirs: True
    {%- if installs %}
    - require:
      - cmd: hvrt-installer
    {%- endif %}
{%- endfor %}

{%- for path, sections in ini_files | dictsort %}
{{ ('hvrt-ini ' ~ path) | tojson }}:
  ini.options_present:
    - name: {{ path | tojson }}
    - separator: '='
    - sections: {{ sections | tojson }}
    - require:
      - file: {{ ('hvrt-dir ' ~ hvrt.ini_dirs_of[path]) | tojson }}
{%- endfor %}
