# Enables or disables Hyper-V live migration; -Mode Test exits 0 when the host
# already matches, 1 when it does not. Run by the hvrt::live_migration class.
param(
    [Parameter(Mandatory = $true)][ValidateSet('Set', 'Test')][string]$Mode,
    [Parameter(Mandatory = $true)][ValidateSet('true', 'false')][string]$Enabled,
    [ValidateSet('Kerberos', 'CredSSP')][string]$Authentication = 'Kerberos',
    [ValidateRange(1, 64)][int]$MaxMigrations = 2,
    [ValidateSet('TCPIP', 'Compression', 'SMB')][string]$Performance = 'Compression',
    [string]$Networks = ''
)
$ErrorActionPreference = 'Stop'
$wanted = $Enabled -eq 'true'
$subnets = @($Networks.Split(',') | Where-Object { $_ -ne '' })
$vmhost = Get-VMHost

if ($Mode -eq 'Test') {
    if ($vmhost.VirtualMachineMigrationEnabled -ne $wanted) { exit 1 }
    if (-not $wanted) { exit 0 }
    if ("$($vmhost.VirtualMachineMigrationAuthenticationType)" -ne $Authentication) { exit 1 }
    if ($vmhost.MaximumVirtualMachineMigrations -ne $MaxMigrations) { exit 1 }
    if ("$($vmhost.VirtualMachineMigrationPerformanceOption)" -ne $Performance) { exit 1 }
    $current = @(Get-VMMigrationNetwork | ForEach-Object { $_.Subnet } | Sort-Object)
    if (Compare-Object -ReferenceObject $current -DifferenceObject @($subnets | Sort-Object)) { exit 1 }
    exit 0
}

if (-not $wanted) {
    Disable-VMMigration
    exit 0
}
Enable-VMMigration
Set-VMHost -VirtualMachineMigrationAuthenticationType $Authentication `
    -MaximumVirtualMachineMigrations $MaxMigrations `
    -VirtualMachineMigrationPerformanceOption $Performance `
    -UseAnyNetworkForMigration ($subnets.Count -eq 0)
Get-VMMigrationNetwork | Where-Object { $subnets -notcontains $_.Subnet } |
    ForEach-Object { Remove-VMMigrationNetwork -Subnet $_.Subnet }
foreach ($subnet in $subnets) {
    if (-not (Get-VMMigrationNetwork | Where-Object { $_.Subnet -eq $subnet })) {
        Add-VMMigrationNetwork -Subnet $subnet
    }
}
