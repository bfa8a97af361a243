{#- Every INI file of the node: `hvrt:ini` maps a full path to sections to keys.
    The folders are created when missing (the MSI creates them on Windows). Keys
    that are already right are left alone, so a second apply changes nothing.
    oslo.config reads sections by group (DEFAULT exactly, any other name without
    regard to case) and the last assignment of a key wins, while Salt's ini module
    matches section names exactly and appends a new section at the end. So each
    section is written under the file's own spelling of its group, the last one the
    file has (read when the states render), or as given when the file has none: the
    value then lands in the group's last section, or a new section after them, and
    is what oslo.config reads. -#}
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
{%- set found = salt['ini.get_ini'](path) if salt['file.file_exists'](path) else {} %}
{%- set written = {} %}
{%- for section, values in sections.items() %}
{%-   set spelling = namespace(name=section) %}
{%-   for name, body in found.items() %}
{%-     if body is mapping and (name if name == 'DEFAULT' else name | lower) == (section if section == 'DEFAULT' else section | lower) %}
{%-       set spelling.name = name %}
{%-     endif %}
{%-   endfor %}
{%-   do written.update({spelling.name: values}) %}
{%- endfor %}
{{ ('hvrt-ini ' ~ path) | tojson }}:
  ini.options_present:
    - name: {{ path | tojson }}
    - separator: '='
    - sections: {{ written | tojson }}
    - require:
      - file: {{ ('hvrt-dir ' ~ hvrt.ini_dirs_of[path]) | tojson }}
{%- endfor %}
