# The top of pulumi-azure-native for the type checker, without its 260 service subpackages.
#
# The SDK's __init__.py imports every service subpackage under `typing.TYPE_CHECKING`, so mypy
# parses all 356 MB of it for any `from pulumi_azure_native import keyvault`: a cold strict run
# took over 6 minutes and 17 GB of memory. This stub keeps only what the package itself exports
# (the Provider); mypy still reads each submodule the code imports from the installed SDK
# (`from pulumi_azure_native import keyvault` resolves pulumi_azure_native/keyvault there), with
# its real types. Consequence: write `from pulumi_azure_native import <service>`, not
# `import pulumi_azure_native as azn; azn.<service>` (mypy would report the attribute missing).
from pulumi_azure_native.provider import Provider as Provider
from pulumi_azure_native.provider import ProviderArgs as ProviderArgs
