# Check (or, when the node state says so, create) the Hyper-V virtual switch that
# $env:HVRT_VSWITCH (JSON) describes: {"name", "type", "create", "adapter",
# "allow_management_os"}. An existing switch is used as it is: it is never removed
# and its type never changed. Called by the hvrt.compute.vswitch state; prints one
# JSON object in Salt's stateful-command protocol.
# hvrt-compat: 2012+
$ErrorActionPreference = 'Stop'
$spec = $env:HVRT_VSWITCH | ConvertFrom-Json
$name = [string]$spec.name
$type = [string]$spec.type

function Write-State([bool]$Changed, [string]$Comment) {
    $state = [ordered]@{ changed = $Changed; comment = $Comment }
    $state | ConvertTo-Json -Compress
}

$existing = @(Get-VMSwitch | Where-Object { $_.Name -ceq $name })
if ($existing.Count -gt 1) {
    Write-State $false ('there are {0} virtual switches named {1}; hvrt needs exactly one' -f $existing.Count, $name)
    exit 1
}
if ($existing.Count -eq 1) {
    $found = [string]$existing[0].SwitchType
    if ($found -ne $type) {
        Write-State $false ('virtual switch {0} is {1}, the configuration needs {2}; hvrt never changes or removes an existing switch' -f $name, $found, $type)
        exit 1
    }
    Write-State $false ('virtual switch {0} ({1}) is there' -f $name, $found)
    exit 0
}
if (-not [bool]$spec.create) {
    Write-State $false ('virtual switch {0} does not exist and the configuration does not say to create it' -f $name)
    exit 1
}
if ($type -eq 'External') {
    New-VMSwitch -Name $name -NetAdapterName ([string]$spec.adapter) -AllowManagementOS ([bool]$spec.allow_management_os) | Out-Null
}
else {
    New-VMSwitch -Name $name -SwitchType $type | Out-Null
}
Write-State $true ('virtual switch {0} ({1}) created' -f $name, $type)
exit 0
