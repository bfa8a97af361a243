# Aliases, abbreviations, common parameters and unknown commands.
gci -LiteralP C:\x -Fi
Get-ChildItem -ea SilentlyContinue -Recurse
Invoke-PlantedUnknownThing -Name x
# hvrt-compat: 2019-typo
function Get-BadAnnotation {
    Get-Item -Path x
}
