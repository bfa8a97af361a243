# @summary Configures a Hyper-V compute node for one hvrt test scenario.
#
# Checks the virtual switch, installs the compute MSI, writes the scenario's
# settings into nova.conf and the neutron agent's file, sets up live migration and
# keeps the compute services running. The parts that only exist on Windows (the MSI, Hyper-V live migration,
# Windows services) are skipped on other systems, so the settings can be applied
# on any node whose `config_dir` points at a writable folder.
#
# The defaults of the parameters are the module's Hiera data (`data/common.yaml`,
# and `data/os/windows.yaml` on Windows). hvrt passes every parameter as Hiera data
# (`hvrt::<parameter>`), never as code.
#
# @example Apply with hvrt's generated data
#   include hvrt
#
# @param ini
#   The settings to write: file name -> INI section -> key -> value. A relative file
#   name is taken inside `config_dir`; an absolute one is used as it is. A value of
#   `undef` (JSON `null`) removes the key.
# @param config_dir
#   The folder holding the compute configuration files.
# @param installer_source
#   Path or URL of the compute MSI; `undef` leaves the installed product alone.
# @param installer_features
#   MSI features to install (the `ADDLOCAL` property).
# @param installer_properties
#   Further MSI properties, name -> value.
# @param package_name
#   The product name the MSI registers (how Windows lists it).
# @param package_ensure
#   `present`, `absent` or a version string.
# @param manage_package
#   Whether to manage the MSI at all; by default on Windows only (`data/os/windows.yaml`).
# @param vswitch
#   The Hyper-V virtual switch (`Hvrt::VSwitch`): an existing one must have its
#   type, a missing one is created only when `create` is true; `undef` leaves
#   switches alone.
# @param manage_live_migration
#   Whether to manage live migration at all (hvrt leaves it to the cluster on
#   failover-cluster members, and alone in scenarios that do not migrate).
# @param live_migration
#   Whether Hyper-V live migration is enabled on the node.
# @param migration_networks
#   Subnets allowed for live migration traffic (CIDR); empty means any network.
# @param migration_authentication
#   `Kerberos` or `CredSSP`.
# @param max_migrations
#   How many live migrations may run at the same time.
# @param migration_performance
#   `TCPIP`, `Compression` or `SMB`.
# @param services
#   The Windows services that must be running once configured.
# @param manage_services
#   Whether to manage the services; by default on Windows only (`data/os/windows.yaml`).
# @param secret_pattern
#   Keys matching this pattern have their values treated as sensitive (no diff in
#   logs or reports).
# @param script_dir
#   Where the module keeps its PowerShell scripts on a Windows node.
# @param powershell
#   The PowerShell executable that runs them.
class hvrt (
  Hvrt::IniSettings $ini,
  String[1] $config_dir,
  Array[Pattern[/\A[A-Za-z0-9_.]+\z/]] $installer_features,
  Hash[Pattern[/\A[A-Za-z0-9_.]+\z/], String] $installer_properties,
  String[1] $package_name,
  String[1] $package_ensure,
  Boolean $manage_package,
  Boolean $manage_live_migration,
  Boolean $live_migration,
  Array[Pattern[/\A[0-9A-Fa-f.:]+\/[0-9]{1,3}\z/]] $migration_networks,
  Enum['Kerberos', 'CredSSP'] $migration_authentication,
  Integer[1, 64] $max_migrations,
  Enum['TCPIP', 'Compression', 'SMB'] $migration_performance,
  Array[Pattern[/\A[A-Za-z0-9_.-]+\z/]] $services,
  Boolean $manage_services,
  String[1] $secret_pattern,
  String[1] $script_dir,
  String[1] $powershell,
  Optional[String[1]] $installer_source = undef,
  Optional[Hvrt::VSwitch] $vswitch = undef,
) {
  class { 'hvrt::settings':
    ini            => $ini,
    config_dir     => $config_dir,
    secret_pattern => $secret_pattern,
  }

  if $facts['os']['family'] == 'windows' {
    file { $script_dir:
      ensure => directory,
    }
  }

  contain hvrt::vswitch
  contain hvrt::install
  contain hvrt::settings
  contain hvrt::live_migration
  contain hvrt::service

  Class['hvrt::vswitch']
  -> Class['hvrt::install']
  -> Class['hvrt::settings']
  -> Class['hvrt::live_migration']
  ~> Class['hvrt::service']

  Class['hvrt::settings'] ~> Class['hvrt::service']
}
