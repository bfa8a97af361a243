# Turn Hyper-V live migration on or off as $env:HVRT_LIVE_MIGRATION (JSON) says:
# {"enabled": bool, "authentication": "Kerberos"|"CredSSP", "max_migrations": n,
#  "networks": ["192.0.2.0/24", ...]}. Called by the hvrt.compute.live_migration
# state; prints one JSON object in Salt's stateful-command protocol.
# hvrt-compat: 2012+
$ErrorActionPreference = 'Stop'
$spec = $env:HVRT_LIVE_MIGRATION | ConvertFrom-Json
$vmhost = Get-VMHost
$changes = @()

if ([bool]$spec.enabled -ne [bool]$vmhost.VirtualMachineMigrationEnabled) {
    if ($spec.enabled) { Enable-VMMigration } else { Disable-VMMigration }
    $changes += ('migration enabled: {0}' -f [bool]$spec.enabled)
}
if ($spec.enabled) {
    $auth = [string]$spec.authentication
    if ($auth -and $vmhost.VirtualMachineMigrationAuthenticationType.ToString() -ne $auth) {
        Set-VMHost -VirtualMachineMigrationAuthenticationType $auth
        $changes += ('authentication: {0}' -f $auth)
    }
    $max = [int]$spec.max_migrations
    if ($max -gt 0 -and $vmhost.MaximumVirtualMachineMigrations -ne $max) {
        Set-VMHost -MaximumVirtualMachineMigrations $max
        $changes += ('maximum migrations: {0}' -f $max)
    }
    $present = @(Get-VMMigrationNetwork | ForEach-Object { $_.Subnet })
    foreach ($network in @($spec.networks)) {
        if ($network -and $present -notcontains $network) {
            Add-VMMigrationNetwork $network
            $changes += ('migration network: {0}' -f $network)
        }
    }
}
$state = [ordered]@{
    changed = ($changes.Count -gt 0)
    comment = $(if ($changes.Count -gt 0) { $changes -join '; ' } else { 'live migration already as wanted' })
}
$state | ConvertTo-Json -Compress
exit 0
