# One use of each version-bound language feature the check knows.
function Use-Features {
    param([hashtable]$P)
    $table = [ordered]@{ a = 1 }
    $object = [pscustomobject]@{ a = 1 }
    $builder = [System.UriBuilder]@{ Host = 'example.test' }
    $inside = 1 -in @(1, 2)
    $remote = $using:table
    $list = [System.Collections.ArrayList]::new()
    $first = @(1) | ForEach-Object { $PSItem }
    Get-Item -Path x -ErrorAction Ignore
    Start-Process -FilePath cmd.exe --% /c exit
}

class PlantedClass {
    [int]$Value
}

enum PlantedEnum {
    One
}
