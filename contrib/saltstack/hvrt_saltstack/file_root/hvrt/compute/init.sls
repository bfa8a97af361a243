{#- A Hyper-V compute node configured for one hvrt scenario: the virtual switch
    (Windows), the compute MSI (Windows), the INI files, live migration (Windows),
    services. -#}
include:
  - hvrt.compute.vswitch
  - hvrt.compute.install
  - hvrt.compute.ini
  - hvrt.compute.live_migration
  - hvrt.compute.services
