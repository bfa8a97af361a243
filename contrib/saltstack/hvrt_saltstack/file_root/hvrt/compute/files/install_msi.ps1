# Install the compute MSI that $env:HVRT_MSI (JSON) describes, replacing another
# installed version of the same product. The package's SHA-256 must be `sha256`
# (when given) before anything is uninstalled or installed; `optional_features` are
# added to `features` only when the package's Feature table has them. Called by the
# hvrt.compute.install state; prints one JSON object in Salt's stateful-command
# protocol. Every value arrives as data and is only ever passed to msiexec as a
# quoted argument.
# hvrt-compat: 2012+
$ErrorActionPreference = 'Stop'
$spec = $env:HVRT_MSI | ConvertFrom-Json
$ok = @(0, 1641, 3010)

function Get-Sha256([string]$Path) {
    # .NET's SHA256 rather than Get-FileHash, which PowerShell 3.0 (Windows Server
    # 2012) does not have; the same upper-case hex digits Get-FileHash gives.
    $full = (Get-Item -LiteralPath $Path).FullName
    $stream = [System.IO.File]::OpenRead($full)
    try {
        $hasher = [System.Security.Cryptography.SHA256]::Create()
        try {
            $digest = $hasher.ComputeHash($stream)
        }
        finally {
            $hasher.Dispose()
        }
    }
    finally {
        $stream.Dispose()
    }
    return [BitConverter]::ToString($digest).Replace('-', '')
}

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

function Get-MsiFeatures([string]$Path) {
    $installer = New-Object -ComObject WindowsInstaller.Installer
    $database = $installer.GetType().InvokeMember('OpenDatabase', 'InvokeMethod', $null, $installer, @($Path, 0))
    $view = $database.GetType().InvokeMember('OpenView', 'InvokeMethod', $null, $database, @('SELECT Feature FROM Feature'))
    $view.GetType().InvokeMember('Execute', 'InvokeMethod', $null, $view, $null) | Out-Null
    $names = @()
    while ($true) {
        $record = $view.GetType().InvokeMember('Fetch', 'InvokeMethod', $null, $view, $null)
        if ($null -eq $record) { break }
        $names += [string]$record.GetType().InvokeMember('StringData', 'GetProperty', $null, $record, 1)
    }
    return ,$names
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

if ($spec.sha256) {
    $actual = Get-Sha256 $spec.path
    if ($actual -ne [string]$spec.sha256) {
        Write-State $false ('{0} has SHA-256 {1}, which does not match the expected {2}; msiexec was not started' -f $spec.path, $actual, $spec.sha256) ''
        exit 1
    }
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
$features = @($spec.features)
if ($spec.optional_features -and @($spec.optional_features).Count -gt 0) {
    $present = Get-MsiFeatures $spec.path
    $features += @($spec.optional_features | Where-Object { $present -contains $_ })
}
if ($features.Count -gt 0) {
    $arguments += 'ADDLOCAL=' + (Format-Quoted ($features -join ','))
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
