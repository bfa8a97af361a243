# hvrt:host-loop
# The long-lived PowerShell process hvrt keeps open on each node. It reads one request
# per stdin line (base64 of UTF-8 JSON: id, fn, params) and writes one answer line
# "#HVRT# <base64 of UTF-8 JSON>" on stdout. Requests are data: the function name is
# checked against the functions of hvrt's module and the parameters are never parsed
# as script. The special request "__module" saves and imports the module itself.
# hvrt-compat: 2012+
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$hvrtUtf8 = New-Object System.Text.UTF8Encoding $false
$hvrtModulePath = Join-Path $env:ProgramData 'hvrt\HvrtHyperV.psm1'

function Send-HvrtLine {
    param([hashtable]$Response)
    $json = ConvertTo-Json -InputObject $Response -Depth 20 -Compress
    [Console]::Out.WriteLine('#HVRT# ' + [Convert]::ToBase64String($hvrtUtf8.GetBytes($json)))
    [Console]::Out.Flush()
}

function Import-HvrtModuleFile {
    param($Params)
    if ($null -ne $Params.content) {
        $bytes = [Convert]::FromBase64String([string]$Params.content)
        New-Item -ItemType Directory -Force -Path (Split-Path -Parent $hvrtModulePath) | Out-Null
        [IO.File]::WriteAllBytes($hvrtModulePath, $bytes)
    }
    if (-not (Test-Path -LiteralPath $hvrtModulePath)) {
        return @{ loaded = $false }
    }
    $stream = [IO.File]::OpenRead($hvrtModulePath)
    try { $digest = [Security.Cryptography.SHA256]::Create().ComputeHash($stream) } finally { $stream.Dispose() }
    $actual = [BitConverter]::ToString($digest).Replace('-', '')
    if ($actual -ne [string]$Params.sha256) {
        return @{ loaded = $false }
    }
    Import-Module -Name $hvrtModulePath -Force -DisableNameChecking -Global
    return @{ loaded = $true; functions = @((Get-Command -Module HvrtHyperV -CommandType Function).Name) }
}

while ($true) {
    $line = [Console]::In.ReadLine()
    if ($null -eq $line) {
        break
    }
    $line = $line.Trim()
    if ($line.Length -eq 0) {
        continue
    }
    $request = $null
    try {
        $request = $hvrtUtf8.GetString([Convert]::FromBase64String($line)) | ConvertFrom-Json
        if ($request.fn -eq '__module') {
            Send-HvrtLine @{ id = $request.id; ok = $true; value = (Import-HvrtModuleFile -Params $request.params) }
        }
        else {
            [Console]::Out.WriteLine((Invoke-HvrtRequest -Request $line))
            [Console]::Out.Flush()
        }
    }
    catch {
        $id = $null
        if ($null -ne $request) {
            $id = $request.id
        }
        Send-HvrtLine @{ id = $id; ok = $false; error = @{ message = $_.Exception.Message; category = [string]$_.CategoryInfo.Category } }
    }
}
