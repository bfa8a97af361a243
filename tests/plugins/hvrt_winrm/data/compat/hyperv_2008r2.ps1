# A Hyper-V cmdlet in a code path meant for Windows Server 2008 R2, which has no
# Hyper-V module (Hyper-V is managed there through WMI root\virtualization).

# hvrt-compat: 2008r2
function Get-PlantedVM {
    param([hashtable]$P)
    return Get-VM -Name $P.name
}

# hvrt-compat: 2008r2
function Get-PlantedWmiVM {
    param([hashtable]$P)
    return Get-WmiObject -Namespace 'root\virtualization' -Class Msvm_ComputerSystem
}
