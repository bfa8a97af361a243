# Install the compute MSI that $env:HVRT_MSI (JSON) describes, replacing another
# installed version of the same product. Called by the hvrt.compute.install state;
# prints one JSON object in Salt's stateful-command protocol. Every value arrives
# as data and is only ever passed to msiexec as a quoted argument.
$ErrorActionPreference = 'Stop'
$spec = $env:HVRT_MSI | ConvertFrom-Json
$ok = @(0, 1641, 3010)

function Get-MsiProperty([string]$Path, [string]$Name) {
    $installer = New-Object -ComObject WindowsInstaller.Installer
    $database = $installer.GetType().InvokeMember('OpenDatabase', 'InvokeMethod', $null, $installer, @($Path, 0))
    $query = 'SELECT Value FROM Property WHERE Property = ''{0}''' -f $Name
    $view = $database.GetType().InvokeMember('OpenView', 'InvokeMethod', $null, $database, @($query))
    $view.GetType().InvokeMember('Execute', 'InvokeMethod', $null, $view, $null) | Out-Null
    $record = $view.GetType().InvokeMember('Fetch', 'InvokeMethod', $null, $view, $null)
    if ($null -eq $record) { return $null }
    return $record.GetType().InvokeMember('StringData', 'GetProperty', $null, $record, 1)
}

function Get-InstalledProduct([string]$Product) {
    $keys = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
    )
    Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue |
        Where-Object { $_.DisplayName -eq $Product } |
        Select-Object -First 1
}

function Format-Quoted([string]$Value) {
    # msiexec's own quoting: the value in double quotes, inner quotes doubled
    return '"{0}"' -f $Value.Replace('"', '""')
}

function Invoke-Msiexec([string[]]$Arguments) {
    $process = Start-Process -FilePath 'msiexec.exe' -ArgumentList $Arguments -Wait -PassThru -NoNewWindow
    return $process.ExitCode
}

function Write-State([bool]$Changed, [string]$Comment, [string]$Version) {
    $state = [ordered]@{ changed = $Changed; comment = $Comment; product_version = $Version }
    $state | ConvertTo-Json -Compress
}

$version = Get-MsiProperty $spec.path 'ProductVersion'
$installed = Get-InstalledProduct $spec.product
if ($installed -and $installed.DisplayVersion -eq $version) {
    Write-State $false ('{0} {1} is installed [product_version={1}]' -f $spec.product, $version) $version
    exit 0
}
if ($installed) {
    $code = Invoke-Msiexec @('/x', $installed.PSChildName, '/qn', '/norestart', '/l*v', (Format-Quoted $spec.uninstall_log))
    if ($ok -notcontains $code) {
        Write-State $false ('uninstalling {0} {1} failed: msiexec exit code {2}' -f $spec.product, $installed.DisplayVersion, $code) ''
        exit 1
    }
}
$arguments = @('/i', (Format-Quoted $spec.path), '/qn', '/norestart', '/l*v', (Format-Quoted $spec.log))
if ($spec.features.Count -gt 0) {
    $arguments += 'ADDLOCAL=' + (Format-Quoted ($spec.features -join ','))
}
foreach ($property in $spec.properties.PSObject.Properties) {
    if ($property.Name -notmatch '^[A-Z][A-Z0-9_.]*$') {
        Write-State $false ('{0} is not a public MSI property name' -f $property.Name) ''
        exit 1
    }
    $arguments += $property.Name + '=' + (Format-Quoted ([string]$property.Value))
}
$code = Invoke-Msiexec $arguments
if ($ok -notcontains $code) {
    Write-State $false ('installing {0} {1} failed: msiexec exit code {2}, see {3}' -f $spec.product, $version, $code, $spec.log) ''
    exit 1
}
Write-State $true ('{0} {1} installed [product_version={1}]' -f $spec.product, $version) $version
exit 0
