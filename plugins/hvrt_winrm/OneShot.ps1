# hvrt:one-shot
# Runs one request of hvrt's module in a fresh PowerShell process (used when no
# long-lived process can be kept, e.g. right after a reboot). The request line below
# is base64 data, replaced by hvrt before the script is encoded.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module 'C:\ProgramData\hvrt\HvrtHyperV.psm1' -DisableNameChecking
Invoke-HvrtRequest -Request 'HVRT_REQUEST_BASE64'
