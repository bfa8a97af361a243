# @summary Enables or disables Hyper-V live migration (Windows only).
#
# Private to `hvrt`: reads the migration parameters of the main class and runs the
# module's PowerShell script with them as typed arguments. The script checks the
# current state first, so an unchanged host reports no change. Nothing is managed
# when `manage_live_migration` is false.
#
# @api private
class hvrt::live_migration {
  if $facts['os']['family'] == 'windows' and $hvrt::manage_live_migration {
    $script = "${hvrt::script_dir}/live_migration.ps1"
    $networks = $hvrt::migration_networks.empty ? {
      true    => '',
      default => " -Networks ${join($hvrt::migration_networks, ',')}",
    }
    $arguments = join([
        "-Enabled ${hvrt::live_migration}",
        "-Authentication ${hvrt::migration_authentication}",
        "-MaxMigrations ${hvrt::max_migrations}",
        "-Performance ${hvrt::migration_performance}",
    ], ' ')
    $run = "\"${hvrt::powershell}\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"${script}\""

    file { $script:
      ensure => file,
      source => 'puppet:///modules/hvrt/live_migration.ps1',
    }
    exec { 'hvrt live migration':
      command => "${run} -Mode Set ${arguments}${networks}",
      unless  => "${run} -Mode Test ${arguments}${networks}",
      require => File[$script],
    }
  }
}
