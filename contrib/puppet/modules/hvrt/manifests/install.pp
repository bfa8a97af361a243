# @summary Installs the compute MSI with its features and properties (Windows only).
#
# Private to `hvrt`: reads the installer parameters of the main class. On other
# systems, or without `installer_source`, it manages nothing.
#
# @api private
class hvrt::install {
  if $hvrt::manage_package and $facts['os']['family'] == 'windows' and $hvrt::installer_source {
    $features = $hvrt::installer_features.empty ? {
      true    => [],
      default => [{ 'ADDLOCAL' => join($hvrt::installer_features, ',') }],
    }
    $properties = $hvrt::installer_properties.map |String $key, String $value| { { $key => $value } }

    package { $hvrt::package_name:
      ensure          => $hvrt::package_ensure,
      provider        => 'windows',
      source          => $hvrt::installer_source,
      install_options => $features + $properties,
    }
  }
}
