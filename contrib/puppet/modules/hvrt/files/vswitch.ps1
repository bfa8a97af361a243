# Checks the Hyper-V virtual switch hvrt's node state names; -Mode Test exits 0 when
# it exists with the wanted type, 1 when it does not. -Mode Set creates a missing
# switch when -Create is true and fails otherwise; it never removes a switch or
# changes its type. Run by the hvrt::vswitch class.
# hvrt-compat: 2012+
param(
    [Parameter(Mandatory = $true)][ValidateSet('Set', 'Test')][string]$Mode,
    [Parameter(Mandatory = $true)][string]$Name,
    [ValidateSet('External', 'Internal', 'Private')][string]$Type = 'External',
    [ValidateSet('true', 'false')][string]$Create = 'false',
    [ValidateSet('true', 'false')][string]$AllowManagementOS = 'true',
    [string]$Adapter = ''
)
$ErrorActionPreference = 'Stop'
$existing = @(Get-VMSwitch | Where-Object { $_.Name -ceq $Name })

if ($Mode -eq 'Test') {
    if ($existing.Count -eq 1 -and [string]$existing[0].SwitchType -eq $Type) { exit 0 }
    exit 1
}

if ($existing.Count -gt 1) {
    throw ('there are {0} virtual switches named {1}; hvrt needs exactly one' -f $existing.Count, $Name)
}
if ($existing.Count -eq 1) {
    $found = [string]$existing[0].SwitchType
    if ($found -ne $Type) {
        throw ('virtual switch {0} is {1}, the configuration needs {2}; hvrt never changes or removes an existing switch' -f $Name, $found, $Type)
    }
    exit 0
}
if ($Create -ne 'true') {
    throw ('virtual switch {0} does not exist and the configuration does not say to create it' -f $Name)
}
if ($Type -eq 'External') {
    New-VMSwitch -Name $Name -NetAdapterName $Adapter -AllowManagementOS ($AllowManagementOS -eq 'true') | Out-Null
}
else {
    New-VMSwitch -Name $Name -SwitchType $Type | Out-Null
}
