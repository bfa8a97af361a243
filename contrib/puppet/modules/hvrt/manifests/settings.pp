# @summary Writes the scenario's settings into the compute node's INI files.
#
# Works on any system: the files are found through `config_dir` (or absolute file
# names), so the class can be applied on a Linux node as well as on Hyper-V. The
# defaults of the parameters are the module's Hiera data (`data/common.yaml`).
#
# @example Two files, one key removed
#   class { 'hvrt::settings':
#     config_dir => '/srv/nova/etc',
#     ini        => {
#       'nova.conf'                  => { 'DEFAULT' => { 'debug' => true, 'old' => undef } },
#       'neutron_hyperv_agent.conf' => { 'SECURITYGROUP' => { 'enable_security_group' => true } },
#     },
#   }
#
# @param ini
#   File name -> INI section -> key -> value; `undef` removes the key.
# @param config_dir
#   The folder relative file names are taken in.
# @param secret_pattern
#   Keys matching this pattern get sensitive values (no diff in logs or reports).
class hvrt::settings (
  Hvrt::IniSettings $ini,
  String[1] $config_dir,
  String[1] $secret_pattern,
) {
  $ini.each |String $file, Hash $sections| {
    $path = $file ? {
      /\A([A-Za-z]:)?[\/\\]/ => $file,
      default                => "${config_dir}/${file}",
    }
    hvrt::ini_file { $path:
      sections       => $sections,
      secret_pattern => $secret_pattern,
    }
  }
}
