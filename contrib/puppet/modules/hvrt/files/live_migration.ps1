# Enables or disables Hyper-V live migration; -Mode Test exits 0 when the host
# already matches, 1 when it does not. Run by the hvrt::live_migration class.
# Windows Server 2012's Hyper-V module has no migration performance option (it
# migrates over TCP/IP only): there -Performance is neither set nor tested.
# hvrt-compat: 2012+
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
$hasPerformance = [bool]$vmhost.PSObject.Properties['VirtualMachineMigrationPerformanceOption']

# hvrt-compat: 2012r2+
function Set-MigrationPerformance([string]$Option) {
    # Called only where the host has the option (Windows Server 2012 R2 and later).
    Set-VMHost -VirtualMachineMigrationPerformanceOption $Option
}

if ($Mode -eq 'Test') {
    if ($vmhost.VirtualMachineMigrationEnabled -ne $wanted) { exit 1 }
    if (-not $wanted) { exit 0 }
    if ("$($vmhost.VirtualMachineMigrationAuthenticationType)" -ne $Authentication) { exit 1 }
    if ($vmhost.MaximumVirtualMachineMigrations -ne $MaxMigrations) { exit 1 }
    if ($hasPerformance -and "$($vmhost.VirtualMachineMigrationPerformanceOption)" -ne $Performance) { exit 1 }
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
    -UseAnyNetworkForMigration ($subnets.Count -eq 0)
if ($hasPerformance) {
    Set-MigrationPerformance $Performance
}
Get-VMMigrationNetwork | Where-Object { $subnets -notcontains $_.Subnet } |
    ForEach-Object { Remove-VMMigrationNetwork -Subnet $_.Subnet }
foreach ($subnet in $subnets) {
    if (-not (Get-VMMigrationNetwork | Where-Object { $_.Subnet -eq $subnet })) {
        Add-VMMigrationNetwork -Subnet $subnet
    }
}
