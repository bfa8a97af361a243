# A code path restricted to Windows Server 2012 (PowerShell 3.0) that uses 5.1-only
# commands and parameters: the check must report them on 2012 and nowhere else.

function Get-Ok {
    param([hashtable]$P)
    return Get-Item -LiteralPath $P.path
}

# hvrt-compat: 2012
function Save-Planted {
    param([hashtable]$P)
    Compress-Archive -Path $P.path -DestinationPath $P.zip
    $data = $P.text | ConvertFrom-Json -Depth 5
    return $data
}
