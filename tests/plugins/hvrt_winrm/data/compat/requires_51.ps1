#requires -Version 5.1
# The whole script says it needs PowerShell 5.1: targets with an older PowerShell are
# not checked, and 5.1 targets have everything used here.
$hash = Get-FileHash -LiteralPath $args[0] -Algorithm SHA256
Compress-Archive -Path $args[0] -DestinationPath ($args[0] + '.zip')
