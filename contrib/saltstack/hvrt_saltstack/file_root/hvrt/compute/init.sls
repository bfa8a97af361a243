{#- A Hyper-V compute node configured for one hvrt scenario:
    the compute MSI (Windows), the INI files, live migration (Windows), services. -#}
include:
  - hvrt.compute.install
  - hvrt.compute.ini
  - hvrt.compute.live_migration
  - hvrt.compute.services
