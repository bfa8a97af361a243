# @summary Keeps the compute services running and enabled (Windows by default).
#
# Private to `hvrt`: the services restart when the settings change, since the main
# class notifies this one.
#
# @api private
class hvrt::service {
  if $hvrt::manage_services {
    service { $hvrt::services:
      ensure => running,
      enable => true,
    }
  }
}
