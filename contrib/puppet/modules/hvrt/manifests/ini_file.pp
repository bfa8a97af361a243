# @summary Sets keys of one INI file, one `ini_setting` per key.
#
# Sections are matched the way oslo.config groups them (`DEFAULT` exactly, any
# other name without regard to case) by the module's `hvrt_oslo` provider of
# `ini_setting`: `OVS` lands in the file's `[ovs]`, so oslo.config reads the value.
#
# @example
#   hvrt::ini_file { '/srv/nova/etc/nova.conf':
#     sections => { 'DEFAULT' => { 'debug' => 'true' } },
#   }
#
# @param sections
#   INI section -> key -> value; `undef` removes the key.
# @param path
#   The file to edit (the title by default).
# @param secret_pattern
#   Keys matching this pattern get sensitive values (no diff in logs or reports).
define hvrt::ini_file (
  Hash[String[1], Hash[String[1], Optional[Scalar]]] $sections,
  String[1] $path = $title,
  String[1] $secret_pattern = '(?i:password|passwd|secret|token|credential|private_key)',
) {
  $sections.each |String $section, Hash $values| {
    $values.each |String $key, $value| {
      $resource_title = "${path} [${section}] ${key}"
      if $value =~ Undef {
        ini_setting { $resource_title:
          ensure   => absent,
          path     => $path,
          section  => $section,
          setting  => $key,
          provider => hvrt_oslo,
        }
      } elsif $key =~ Regexp($secret_pattern) {
        ini_setting { $resource_title:
          ensure    => present,
          path      => $path,
          section   => $section,
          setting   => $key,
          value     => Sensitive(String($value)),
          show_diff => false,
          provider  => hvrt_oslo,
        }
      } else {
        ini_setting { $resource_title:
          ensure   => present,
          path     => $path,
          section  => $section,
          setting  => $key,
          value    => String($value),
          provider => hvrt_oslo,
        }
      }
    }
  }
}
