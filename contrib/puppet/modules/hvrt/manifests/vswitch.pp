# @summary Checks the Hyper-V virtual switch, or creates it when asked to (Windows only).
#
# Private to `hvrt`: reads `hvrt::vswitch`. An existing switch is used as it is: the
# module's script never removes a switch or changes its type, and fails naming both
# types when the switch has another one. A missing switch is created only when
# `create` is true.
#
# @api private
class hvrt::vswitch {
  $switch = $hvrt::vswitch
  if $facts['os']['family'] == 'windows' and $switch =~ NotUndef {
    $script = "${hvrt::script_dir}/vswitch.ps1"
    $adapter = $switch['adapter'] ? {
      undef   => '',
      default => " -Adapter \"${switch['adapter']}\"",
    }
    $arguments = join([
        "-Name \"${switch['name']}\"",
        "-Type ${switch['type']}",
        "-Create ${switch['create']}",
        "-AllowManagementOS ${switch['allow_management_os']}",
    ], ' ')
    $run = "\"${hvrt::powershell}\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"${script}\""

    file { $script:
      ensure => file,
      source => 'puppet:///modules/hvrt/vswitch.ps1',
    }
    exec { 'hvrt vswitch':
      command => "${run} -Mode Set ${arguments}${adapter}",
      unless  => "${run} -Mode Test ${arguments}${adapter}",
      require => File[$script],
    }
  }
}
