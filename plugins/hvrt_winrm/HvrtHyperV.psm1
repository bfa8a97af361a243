# HvrtHyperV: the PowerShell functions hvrt calls on a Hyper-V node.
# Uploaded once per run to C:\ProgramData\hvrt and imported by hvrt's host loop.
# Every function takes one hashtable of parameters (decoded from JSON data, never
# pasted into script text) and returns objects that Invoke-HvrtRequest writes as JSON.
# Names given by configuration are matched literally (-LiteralPath, -eq), never as
# wildcards. Runs on Windows PowerShell 3.0 or later with the Hyper-V module, i.e.
# Windows Server 2012 and later (docs/winrm.md, "Which Windows"); 2008 R2 is refused
# when the config loads.
# hvrt-compat: 2012+
Set-StrictMode -Version 2.0
$script:HvrtUtf8 = New-Object System.Text.UTF8Encoding $false
$script:HvrtEpoch = New-Object DateTime 1970, 1, 1, 0, 0, 0, ([DateTimeKind]::Utc)

function Get-HvrtSha256 {
    param([string]$Path)
    # Get-FileHash came with PowerShell 4.0; .NET's SHA256 class is there on 2012 too.
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $digest = [System.Security.Cryptography.SHA256]::Create().ComputeHash($stream)
    }
    finally {
        $stream.Dispose()
    }
    return [BitConverter]::ToString($digest).Replace('-', '')
}

function ConvertTo-HvrtHashtable {
    param($InputObject)
    if ($null -eq $InputObject) {
        return $null
    }
    if ($InputObject -is [System.Management.Automation.PSCustomObject]) {
        $table = @{}
        foreach ($property in $InputObject.PSObject.Properties) {
            $table[$property.Name] = ConvertTo-HvrtHashtable $property.Value
        }
        return $table
    }
    if ($InputObject -is [System.Collections.IList] -and $InputObject -isnot [string]) {
        return ,@($InputObject | ForEach-Object { ConvertTo-HvrtHashtable $_ })
    }
    return $InputObject
}

function Invoke-HvrtRequest {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)][string]$Request)
    $id = $null
    try {
        $decoded = $script:HvrtUtf8.GetString([Convert]::FromBase64String($Request)) | ConvertFrom-Json
        $id = $decoded.id
        $name = [string]$decoded.fn
        $allowed = @((Get-Command -Module HvrtHyperV -CommandType Function).Name)
        if ($allowed -notcontains $name -or $name -eq 'Invoke-HvrtRequest') {
            throw "The term '$name' is not recognized as the name of a cmdlet, function, script file, or operable program."
        }
        $params = ConvertTo-HvrtHashtable $decoded.params
        if ($null -eq $params) {
            $params = @{}
        }
        $value = & $name -P $params
        $response = @{ id = $id; ok = $true; value = $value }
    }
    catch {
        $response = @{ id = $id; ok = $false; error = @{ message = $_.Exception.Message; category = [string]$_.CategoryInfo.Category } }
    }
    $json = ConvertTo-Json -InputObject $response -Depth 20 -Compress
    return '#HVRT# ' + [Convert]::ToBase64String($script:HvrtUtf8.GetBytes($json))
}

# ------------------------------------------------------------------ pre-flight

function Get-HvrtPreflight {
    param([hashtable]$P)
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DeviceID='C:'"
    $vmms = Get-Service | Where-Object { $_.Name -eq 'vmms' }
    # DateTimeOffset.ToUnixTime* need .NET 4.6, newer than 2012 and 2012 R2 ship
    $now = ([DateTime]::UtcNow - $script:HvrtEpoch).TotalMilliseconds / 1000.0
    $skew = 0.0
    if ($P.ContainsKey('runner_time') -and $P.runner_time) {
        $skew = $now - [double]$P.runner_time
    }
    $vmmsStatus = $null
    if ($null -ne $vmms) {
        $vmmsStatus = [string]$vmms.Status
    }
    return @{
        computer_name   = $env:COMPUTERNAME
        os              = @{ caption = $os.Caption; version = $os.Version; build = $os.BuildNumber }
        hyperv          = ($null -ne (Get-Module -ListAvailable -Name Hyper-V))
        vmms            = $vmmsStatus
        clock           = $now
        clock_skew      = $skew
        free_disk_bytes = [int64]$disk.FreeSpace
        winrm           = @{ max_envelope_kb = [int](Get-Item -Path WSMan:\localhost\MaxEnvelopeSizekb).Value }
        powershell      = $PSVersionTable.PSVersion.ToString()
    }
}

function Get-HvrtBootId {
    param([hashtable]$P)
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    return @{ boot_time = [int64](($os.LastBootUpTime.ToUniversalTime() - $script:HvrtEpoch).TotalSeconds) }
}

function Restart-HvrtNode {
    param([hashtable]$P)
    Start-Process -FilePath (Join-Path $env:SystemRoot 'System32\shutdown.exe') -ArgumentList '/r /f /t 1' | Out-Null
    return @{ restarting = $true }
}

# ------------------------------------------------------------ installed products

function Get-HvrtProduct {
    param([hashtable]$P)
    $like = '*' + [WildcardPattern]::Escape([string]$P.name_like).Trim('*') + '*'
    $keys = @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*',
              'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*')
    $found = Get-ItemProperty -Path $keys -ErrorAction SilentlyContinue |
        Where-Object { $_.PSObject.Properties['DisplayName'] -and $_.DisplayName -like $like }
    return ,@($found | ForEach-Object { @{ name = $_.DisplayName; version = $_.DisplayVersion; code = $_.PSChildName } })
}

function Uninstall-HvrtCompute {
    param([hashtable]$P)
    $removed = @()
    foreach ($product in (Get-HvrtProduct @{ name_like = $P.name_like })) {
        $arguments = '/x "' + $product.code + '" /qn /norestart'
        $proc = Start-Process -FilePath (Join-Path $env:SystemRoot 'System32\msiexec.exe') -ArgumentList $arguments -Wait -PassThru
        if ($proc.ExitCode -ne 0 -and $proc.ExitCode -ne 3010) {
            throw "uninstalling $($product.name) failed with exit code $($proc.ExitCode)"
        }
        $removed += $product.name
    }
    $leftovers = @()
    foreach ($path in @($P.leftovers)) {
        if ($path -and (Test-Path -LiteralPath $path)) {
            Remove-Item -LiteralPath $path -Recurse -Force
            $leftovers += $path
        }
    }
    return @{ removed = $removed; leftovers_removed = $leftovers }
}

function Get-HvrtMsiFeatures {
    param([hashtable]$P)
    # The Feature table of an MSI package, read through the Windows Installer COM object.
    $installer = New-Object -ComObject WindowsInstaller.Installer
    $database = $installer.GetType().InvokeMember('OpenDatabase', 'InvokeMethod', $null, $installer, @([string]$P.path, 0))
    $view = $database.GetType().InvokeMember('OpenView', 'InvokeMethod', $null, $database, @('SELECT Feature FROM Feature'))
    $view.GetType().InvokeMember('Execute', 'InvokeMethod', $null, $view, $null) | Out-Null
    $names = @()
    while ($true) {
        $record = $view.GetType().InvokeMember('Fetch', 'InvokeMethod', $null, $view, $null)
        if ($null -eq $record) {
            break
        }
        $names += [string]$record.GetType().InvokeMember('StringData', 'GetProperty', $null, $record, 1)
    }
    $view.GetType().InvokeMember('Close', 'InvokeMethod', $null, $view, $null) | Out-Null
    return ,@($names)
}

function Save-HvrtInstaller {
    param([hashtable]$P)
    # Downloads the installer (when a URL is given) and checks its SHA-256; a package
    # that does not match is deleted, so nothing can run it.
    $package = [string]$P.package
    if ($P.ContainsKey('url') -and $P.url) {
        New-Item -ItemType Directory -Force -Path (Split-Path -Parent $package) | Out-Null
        Invoke-WebRequest -Uri ([string]$P.url) -OutFile $package -UseBasicParsing
    }
    $sha = (Get-HvrtSha256 -Path $package)
    if ($P.ContainsKey('sha256') -and $P.sha256 -and $sha -ne [string]$P.sha256) {
        Remove-Item -LiteralPath $package -Force
        throw "installer '$package' has SHA-256 $sha, which does not match the expected $($P.sha256); msiexec was not started"
    }
    return @{ package = $package; sha256 = $sha }
}

function Install-HvrtMsi {
    param([hashtable]$P)
    $package = [string]$P.package
    # The package must be the one the release names before anything runs it.
    $sha = (Save-HvrtInstaller $P).sha256
    $features = @($P.features | Where-Object { $_ })
    $optional = @($P.optional_features | Where-Object { $_ })
    if ($optional.Count -gt 0) {
        $present = Get-HvrtMsiFeatures @{ path = $package }
        $features += @($optional | Where-Object { $present -contains $_ })
    }
    $arguments = [string]$P.arguments
    if ($features.Count -gt 0) {
        $arguments += ' ADDLOCAL=' + ($features -join ',')
    }
    $msiexec = Join-Path $env:SystemRoot 'System32\msiexec.exe'
    $proc = Start-Process -FilePath $msiexec -ArgumentList $arguments -Wait -PassThru
    $result = @{ exit_code = $proc.ExitCode; sha256 = $sha; package = $package; features = $features }
    $installed = @(Get-HvrtProduct @{ name_like = $P.product })
    if ($installed.Count -gt 0) {
        $result.version = $installed[0].version
    }
    return $result
}

# ---------------------------------------------------------------------- INI files
# Read and written the way oslo.config reads them (the Python twin is
# hvrt/sandbox/wsman/ini.py): a section is a line that starts with '[' and ends
# with ']'; a line that starts with a space or a tab continues the value above;
# '#' and ';' start comments; a key ends at the first '=' or ':'. Sections are
# matched by oslo.config group (DEFAULT exactly, other names without regard to
# case), keys exactly. Every assignment of a key in its group is found: the first
# is rewritten in place, the others are removed.

function Read-HvrtIniLines {
    param([string]$Path)
    if (Test-Path -LiteralPath $Path) {
        return ,@([IO.File]::ReadAllLines($Path, $script:HvrtUtf8))
    }
    return ,@()
}

function Get-HvrtIniGroup {
    param([string]$Section)
    if ($Section -ceq 'DEFAULT') {
        return $Section
    }
    return $Section.ToLowerInvariant()
}

function Split-HvrtIniLine {
    param([string]$Line)
    $cut = $Line.IndexOf('=')
    $colon = $Line.IndexOf(':')
    if ($cut -lt 0 -or ($colon -ge 0 -and $colon -lt $cut)) {
        $cut = $colon
    }
    if ($cut -lt 0) {
        return $null
    }
    $value = $Line.Substring($cut + 1).Trim()
    if ($value.Length -gt 0 -and ($value[0] -eq '"' -or $value[0] -eq "'") -and $value[0] -eq $value[$value.Length - 1]) {
        if ($value.Length -ge 2) {
            $value = $value.Substring(1, $value.Length - 2)
        }
        else {
            $value = ''
        }
    }
    return @{ key = $Line.Substring(0, $cut).Trim(); value = $value }
}

function Get-HvrtIniLayout {
    param($Lines)
    $layout = @{ sections = (New-Object System.Collections.ArrayList); assignments = (New-Object System.Collections.ArrayList) }
    $current = $null
    $header = -1
    $open = $null
    for ($i = 0; $i -le $Lines.Count; $i++) {
        $line = ''
        if ($i -lt $Lines.Count) {
            $line = ([string]$Lines[$i]).TrimEnd()
            if ($line.Length -gt 0 -and ($line[0] -eq ' ' -or $line[0] -eq "`t")) {
                if ($null -ne $open) {
                    $open.parts.Add($line.TrimStart())
                }
                continue
            }
        }
        if ($null -ne $open) {
            [void]$layout.assignments.Add(@{ section = $open.section; key = $open.key; value = ($open.parts -join "`n"); start = $open.start; stop = $i })
            $open = $null
        }
        if ($i -eq $Lines.Count -or $line.Length -eq 0 -or $line[0] -eq '#' -or $line[0] -eq ';') {
            continue
        }
        if ($line[0] -eq '[') {
            if ($line.EndsWith(']') -and $line.Length -gt 2) {
                if ($null -ne $current) {
                    [void]$layout.sections.Add(@{ name = $current; header = $header; end = $i })
                }
                $current = $line.Substring(1, $line.Length - 2)
                $header = $i
            }
            continue
        }
        $pair = Split-HvrtIniLine $line
        if ($null -ne $pair -and $pair.key.Length -gt 0 -and $null -ne $current) {
            $parts = New-Object System.Collections.Generic.List[string]
            $parts.Add([string]$pair.value)
            $open = @{ section = $current; key = $pair.key; parts = $parts; start = $i }
        }
    }
    if ($null -ne $current) {
        [void]$layout.sections.Add(@{ name = $current; header = $header; end = $Lines.Count })
    }
    return $layout
}

function Get-HvrtIniValues {
    param([hashtable]$P)
    $layout = Get-HvrtIniLayout (Read-HvrtIniLines ([string]$P.path))
    $result = New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
    $spelling = New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
    foreach ($section in $layout.sections) {
        $group = Get-HvrtIniGroup $section.name
        if (-not $spelling.ContainsKey($group)) {
            $spelling[$group] = $section.name
            $result[$section.name] = New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
        }
    }
    foreach ($assignment in $layout.assignments) {
        $result[$spelling[(Get-HvrtIniGroup $assignment.section)]][$assignment.key] = $assignment.value
    }
    return $result
}

function Get-HvrtIniProblem {
    param([string]$Section, [string]$Key, [string]$Value)
    if ($Section.Length -eq 0 -or $Section -match '[\r\n\x00\[\]]') {
        return "invalid INI section name '$Section'"
    }
    if ($Key.Length -eq 0 -or $Key.Trim() -cne $Key -or $Key -match '[\r\n\x00=:]' -or $Key -match '^[#;\[]') {
        return "invalid INI key '$Key' in section [$Section]"
    }
    if ($Value -match '[\r\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]') {
        return "the value of [$Section] $Key holds a CR, NUL or other line-breaking character"
    }
    $valueLines = $Value.Split("`n")
    for ($i = 1; $i -lt $valueLines.Count; $i++) {
        if ($valueLines[$i].Length -eq 0 -or $valueLines[$i].Trim() -cne $valueLines[$i]) {
            return "line $($i + 1) of the value of [$Section] $Key is empty or starts or ends with white space; oslo.config would not read it back"
        }
    }
    return $null
}

function Format-HvrtIniValue {
    param([string]$Key, [string]$Value)
    $valueLines = $Value.Split("`n")
    $first = $valueLines[0]
    if ($first.Trim() -cne $first -or ($first.Length -gt 0 -and ($first[0] -eq '"' -or $first[0] -eq "'") -and $first[0] -eq $first[$first.Length - 1])) {
        $first = '"' + $first + '"'
    }
    $new = New-Object System.Collections.Generic.List[string]
    if ($first.Length -gt 0) {
        $new.Add($Key + ' = ' + $first)
    }
    else {
        $new.Add($Key + ' =')
    }
    for ($i = 1; $i -lt $valueLines.Count; $i++) {
        $new.Add('    ' + $valueLines[$i])
    }
    return ,$new
}

function Set-HvrtIniValues {
    param([hashtable]$P)
    $path = [string]$P.path
    foreach ($section in @($P.values.Keys)) {
        foreach ($key in @($P.values[$section].Keys)) {
            $problem = Get-HvrtIniProblem -Section $section -Key $key -Value ([string]$P.values[$section][$key])
            if ($null -ne $problem) {
                throw $problem
            }
        }
    }
    $lines = New-Object System.Collections.Generic.List[string]
    foreach ($line in (Read-HvrtIniLines $path)) {
        $lines.Add($line)
    }
    $changed = 0
    foreach ($section in @($P.values.Keys)) {
        foreach ($key in @($P.values[$section].Keys)) {
            $changed += Set-HvrtIniLine -Lines $lines -Section $section -Key $key -Value ([string]$P.values[$section][$key])
        }
    }
    New-Item -ItemType Directory -Force -Path (Split-Path -Parent $path) | Out-Null
    [IO.File]::WriteAllLines($path, $lines.ToArray(), $script:HvrtUtf8)
    return @{ path = $path; changed = $changed }
}

function Set-HvrtIniLine {
    param($Lines, [string]$Section, [string]$Key, [string]$Value)
    $group = Get-HvrtIniGroup $Section
    $layout = Get-HvrtIniLayout $Lines
    $found = @($layout.assignments | Where-Object { $_.key -ceq $Key -and (Get-HvrtIniGroup $_.section) -ceq $group })
    if ($found.Count -eq 1 -and $found[0].value -ceq $Value) {
        return 0
    }
    $new = Format-HvrtIniValue -Key $Key -Value $Value
    if ($found.Count -gt 0) {
        for ($n = $found.Count - 1; $n -ge 0; $n--) {
            $Lines.RemoveRange($found[$n].start, $found[$n].stop - $found[$n].start)
        }
        $Lines.InsertRange($found[0].start, $new)
        return 1
    }
    $matching = @($layout.sections | Where-Object { (Get-HvrtIniGroup $_.name) -ceq $group })
    if ($matching.Count -eq 0) {
        if ($Lines.Count -gt 0 -and $Lines[$Lines.Count - 1].Trim().Length -gt 0) {
            $Lines.Add('')
        }
        $Lines.Add('[' + $Section + ']')
        $Lines.AddRange($new)
        return 1
    }
    $target = $matching[$matching.Count - 1]
    $last = $target.header
    for ($i = $target.header + 1; $i -lt $target.end; $i++) {
        if ($Lines[$i].Trim().Length -gt 0) {
            $last = $i
        }
    }
    $Lines.InsertRange($last + 1, $new)
    return 1
}

# -------------------------------------------------------- Hyper-V host settings

function Set-HvrtVMSwitch {
    param([hashtable]$P)
    # Uses an existing switch as it is and creates a missing one only when asked to;
    # it never removes a switch or changes its type (the lab's VMs, and often the
    # host's own management network, depend on it).
    $name = [string]$P.name
    $type = [string]$P.type
    $existing = @(Get-VMSwitch | Where-Object { $_.Name -ceq $name })
    if ($existing.Count -gt 1) {
        throw "there are $($existing.Count) virtual switches named '$name'; hvrt needs exactly one"
    }
    if ($existing.Count -eq 1) {
        $found = [string]$existing[0].SwitchType
        if ($found -ne $type) {
            throw "virtual switch '$name' is $found, the configuration needs $type; hvrt never changes or removes an existing switch"
        }
        return @{ name = $name; type = $found; created = $false }
    }
    if (-not [bool]$P.create) {
        throw "virtual switch '$name' does not exist and the configuration does not say to create it"
    }
    if ($type -eq 'External') {
        New-VMSwitch -Name $name -NetAdapterName ([string]$P.adapter) -AllowManagementOS ([bool]$P.allow_management_os) | Out-Null
    }
    else {
        New-VMSwitch -Name $name -SwitchType $type | Out-Null
    }
    return @{ name = $name; type = $type; created = $true }
}

function Set-HvrtLiveMigration {
    param([hashtable]$P)
    if (-not [bool]$P.enabled) {
        Disable-VMMigration
        return @{ enabled = $false }
    }
    Enable-VMMigration
    $networks = @($P.networks | Where-Object { $_ })
    Set-VMHost -UseAnyNetworkForMigration ($networks.Count -eq 0) `
        -VirtualMachineMigrationAuthenticationType ([string]$P.authentication) `
        -MaximumVirtualMachineMigrations ([int]$P.max_migrations)
    # 2012's Set-VMHost has no performance option (migration is TCP/IP only there)
    $performance = 'TCPIP'
    if ((Get-Command -Name Set-VMHost).Parameters.ContainsKey('VirtualMachineMigrationPerformanceOption')) {
        Set-HvrtMigrationPerformance -Option ([string]$P.performance)
        $performance = [string]$P.performance
    }
    foreach ($network in $networks) {
        Add-VMMigrationNetwork -Subnet ([string]$network)
    }
    return @{ enabled = $true; networks = $networks; authentication = [string]$P.authentication; max_migrations = [int]$P.max_migrations; performance = $performance }
}

# hvrt-compat: 2012r2+
function Set-HvrtMigrationPerformance {
    param([string]$Option)
    # Only called where Set-VMHost has the parameter (Windows Server 2012 R2 and later).
    Set-VMHost -VirtualMachineMigrationPerformanceOption $Option
}

function Get-HvrtHostSettings {
    param([hashtable]$P)
    $vmhost = Get-VMHost
    $performance = 'TCPIP'
    if ($vmhost.PSObject.Properties['VirtualMachineMigrationPerformanceOption']) {
        $performance = [string]$vmhost.VirtualMachineMigrationPerformanceOption
    }
    $switches = @{}
    foreach ($switch in Get-VMSwitch) {
        $switches[$switch.Name] = @{ name = $switch.Name; type = [string]$switch.SwitchType }
    }
    return @{
        vmswitches     = $switches
        live_migration = @{
            enabled        = [bool]$vmhost.VirtualMachineMigrationEnabled
            networks       = @(Get-VMMigrationNetwork | ForEach-Object { $_.Subnet })
            authentication = [string]$vmhost.VirtualMachineMigrationAuthenticationType
            max_migrations = [int]$vmhost.MaximumVirtualMachineMigrations
            performance    = $performance
        }
    }
}

# ----------------------------------------------------------------------- services

function Get-HvrtServiceObject {
    param([string]$Name)
    $service = Get-Service | Where-Object { $_.Name -eq $Name }
    if ($null -eq $service) {
        throw "Cannot find any service with service name '$Name'."
    }
    return $service
}

function Restart-HvrtServices {
    param([hashtable]$P)
    $status = @{}
    $optional = @($P.optional | Where-Object { $_ })
    $installed = @(Get-Service | ForEach-Object { $_.Name })
    foreach ($name in @(@($P.names) + @($optional | Where-Object { $installed -contains $_ }))) {
        $service = Get-HvrtServiceObject $name
        Restart-Service -InputObject $service -Force
        $service.WaitForStatus('Running', [TimeSpan]::FromSeconds(60))
        $status[$name] = [string](Get-HvrtServiceObject $name).Status
    }
    return $status
}

function Get-HvrtServices {
    param([hashtable]$P)
    $status = @{}
    $names = @($P.names)
    if ($names.Count -eq 0) {
        $names = @(Get-Service | ForEach-Object { $_.Name })
    }
    foreach ($name in $names) {
        $service = Get-Service | Where-Object { $_.Name -eq $name }
        if ($null -eq $service) {
            $status[$name] = 'NotFound'
        }
        else {
            $status[$name] = [string]$service.Status
        }
    }
    return $status
}

function Wait-HvrtService {
    param([hashtable]$P)
    $deadline = (Get-Date).AddSeconds([double]$P.timeout)
    do {
        $service = Get-Service | Where-Object { $_.Name -eq [string]$P.name }
        if ($null -ne $service -and [string]$service.Status -eq 'Running') {
            return @{ status = 'Running' }
        }
        Start-Sleep -Milliseconds 200
    } while ((Get-Date) -lt $deadline)
    $status = 'NotFound'
    if ($null -ne $service) {
        $status = [string]$service.Status
    }
    return @{ status = $status }
}

# ------------------------------------------------------------------- evidence

function Get-HvrtHotfixes {
    param([hashtable]$P)
    $hotfixes = @(Get-HotFix)
    $items = @($hotfixes | ForEach-Object {
        @{ HotFixID = $_.HotFixID; Description = $_.Description; InstalledOn = [string]$_.InstalledOn; Source = $_.Source }
    })
    return @{ items = $items; text = ($hotfixes | Format-Table -AutoSize | Out-String -Width 200) }
}

function Get-HvrtSystemInfo {
    param([hashtable]$P)
    $text = (& (Join-Path $env:SystemRoot 'System32\systeminfo.exe')) -join "`r`n"
    $csv = & (Join-Path $env:SystemRoot 'System32\systeminfo.exe') /fo csv | ConvertFrom-Csv
    $data = @{}
    foreach ($property in $csv.PSObject.Properties) {
        $data[$property.Name] = [string]$property.Value
    }
    return @{ data = $data; text = $text }
}

function Invoke-HvrtProcess {
    param([hashtable]$P)
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = [string]$P.file
    $info.Arguments = [string]$P.arguments
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.CreateNoWindow = $true
    if ($P.ContainsKey('cwd') -and $P.cwd) {
        $info.WorkingDirectory = [string]$P.cwd
    }
    if ($P.ContainsKey('env') -and $null -ne $P.env) {
        foreach ($name in $P.env.Keys) {
            $info.EnvironmentVariables[[string]$name] = [string]$P.env[$name]
        }
    }
    $process = [System.Diagnostics.Process]::Start($info)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    return @{ exit_code = $process.ExitCode; stdout = $stdout.Result; stderr = $stderr.Result }
}

# -------------------------------------------------------------- file transfer

function Get-HvrtItem {
    param([hashtable]$P)
    $path = [string]$P.path
    if (-not (Test-Path -LiteralPath $path)) {
        return @{ exists = $false }
    }
    $item = Get-Item -LiteralPath $path -Force
    if ($item.PSIsContainer) {
        $files = @(Get-ChildItem -LiteralPath $path -Recurse -File -Force)
        $length = ($files | Measure-Object -Property Length -Sum).Sum
        return @{ exists = $true; type = 'directory'; count = $files.Count; length = [int64]$length }
    }
    $info = @{ exists = $true; type = 'file'; length = $item.Length }
    if (-not $P.ContainsKey('hash') -or $P.hash) {
        $info.sha256 = (Get-HvrtSha256 -Path $path)
    }
    return $info
}

function Open-HvrtUpload {
    param([hashtable]$P)
    $part = [string]$P.path + '.hvrtpart'
    New-Item -ItemType Directory -Force -Path (Split-Path -Parent $part) | Out-Null
    [IO.File]::WriteAllBytes($part, [byte[]]@())
    return @{ part = $part }
}

function Write-HvrtChunk {
    param([hashtable]$P)
    $part = [string]$P.path + '.hvrtpart'
    if (-not (Test-Path -LiteralPath $part)) {
        throw "no upload in progress for '$($P.path)'"
    }
    $bytes = [Convert]::FromBase64String([string]$P.data)
    $stream = [IO.File]::Open($part, [IO.FileMode]::Open, [IO.FileAccess]::Write)
    try {
        $stream.Seek([int64]$P.offset, [IO.SeekOrigin]::Begin) | Out-Null
        $stream.Write($bytes, 0, $bytes.Length)
        $stream.SetLength($stream.Position)
        return @{ length = $stream.Length }
    }
    finally {
        $stream.Dispose()
    }
}

function Close-HvrtUpload {
    param([hashtable]$P)
    $path = [string]$P.path
    $part = $path + '.hvrtpart'
    $actual = (Get-HvrtSha256 -Path $part)
    if ($actual -ne [string]$P.sha256) {
        Remove-Item -LiteralPath $part -Force
        throw "checksum mismatch for '$path': expected $($P.sha256), got $actual"
    }
    $expand = [string]$P.expand
    if ($expand -eq 'zip') {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        New-Item -ItemType Directory -Force -Path $path | Out-Null
        [IO.Compression.ZipFile]::ExtractToDirectory($part, $path)
        Remove-Item -LiteralPath $part -Force
    }
    elseif ($expand -eq 'gzip') {
        $source = [IO.File]::OpenRead($part)
        $target = [IO.File]::Create($path)
        try {
            $gzip = New-Object IO.Compression.GZipStream($source, [IO.Compression.CompressionMode]::Decompress)
            $gzip.CopyTo($target)
        }
        finally {
            $target.Dispose()
            $source.Dispose()
        }
        Remove-Item -LiteralPath $part -Force
    }
    else {
        Move-Item -LiteralPath $part -Destination $path -Force
    }
    return Get-HvrtItem @{ path = $path; hash = ($expand -ne 'zip') }
}

function Read-HvrtChunk {
    param([hashtable]$P)
    $stream = [IO.File]::OpenRead([string]$P.path)
    try {
        $stream.Seek([int64]$P.offset, [IO.SeekOrigin]::Begin) | Out-Null
        $buffer = New-Object byte[] ([int]$P.length)
        $read = 0
        while ($read -lt $buffer.Length) {
            $n = $stream.Read($buffer, $read, $buffer.Length - $read)
            if ($n -le 0) {
                break
            }
            $read += $n
        }
        return @{ data = [Convert]::ToBase64String($buffer, 0, $read); eof = ($stream.Position -ge $stream.Length) }
    }
    finally {
        $stream.Dispose()
    }
}

function Compress-HvrtItem {
    param([hashtable]$P)
    $source = [string]$P.path
    $destination = [string]$P.destination
    New-Item -ItemType Directory -Force -Path (Split-Path -Parent $destination) | Out-Null
    if (Test-Path -LiteralPath $destination) {
        Remove-Item -LiteralPath $destination -Force
    }
    if ((Get-Item -LiteralPath $source -Force).PSIsContainer) {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        [IO.Compression.ZipFile]::CreateFromDirectory($source, $destination)
        $format = 'zip'
    }
    else {
        $reader = [IO.File]::OpenRead($source)
        $output = [IO.File]::Create($destination)
        try {
            $gzip = New-Object IO.Compression.GZipStream($output, [IO.Compression.CompressionMode]::Compress)
            $reader.CopyTo($gzip)
            $gzip.Dispose()
        }
        finally {
            $output.Dispose()
            $reader.Dispose()
        }
        $format = 'gzip'
    }
    $item = Get-Item -LiteralPath $destination
    return @{ path = $destination; format = $format; length = $item.Length; sha256 = (Get-HvrtSha256 -Path $destination) }
}

function Remove-HvrtItem {
    param([hashtable]$P)
    if (-not (Test-Path -LiteralPath ([string]$P.path))) {
        return @{ removed = $false }
    }
    Remove-Item -LiteralPath ([string]$P.path) -Recurse -Force
    return @{ removed = $true }
}

function Get-HvrtChildItem {
    param([hashtable]$P)
    $root = (Get-Item -LiteralPath ([string]$P.path) -Force).FullName.TrimEnd('\')
    return ,@(Get-ChildItem -LiteralPath $root -Recurse -File -Force | ForEach-Object {
        @{ path = $_.FullName.Substring($root.Length + 1); length = $_.Length }
    })
}

Export-ModuleMember -Function *-Hvrt*
