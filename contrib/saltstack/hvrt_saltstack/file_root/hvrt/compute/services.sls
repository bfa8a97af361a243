{#- The compute services run, and restart when one of the INI files changed. -#}
{%- from "hvrt/compute/map.jinja" import hvrt, ini_files, installs with context %}
{%- for service in hvrt.get('services') or [] %}
{{ ('hvrt-service ' ~ service) | tojson }}:
  service.running:
    - name: {{ service | tojson }}
    - enable: True
    {%- if ini_files or installs %}
    - watch:
      {%- for path in ini_files | sort %}
      - ini: {{ ('hvrt-ini ' ~ path) | tojson }}
      {%- endfor %}
      {%- if installs %}
      - cmd: hvrt-installer
      {%- endif %}
    {%- endif %}
{%- endfor %}
