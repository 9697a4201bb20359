"""The engine path, in-process: the pack's analyzer servicer (what `pulumi preview --policy-pack`
talks to over gRPC) configured with `pack_config`, judging the same fixtures as the runner.

Runs in a subprocess: the servicer configures Pulumi runtime settings of its process.
"""

import json
import subprocess
import sys

SCRIPT = r"""
import json
from datetime import date
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
import pulumi_policy.policy as sdk
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE
from llmops_infra.policies.pack import pack_arguments
from llmops_infra.policies.pack_config import pack_config
from llmops_infra.policies.settings import Exemption, PolicySettings

kw = pack_arguments()
servicer = sdk._PolicyAnalyzerServicer(kw["name"], "0.1.0", kw["policies"], kw["enforcement_level"],
                                       kw["initial_config"], kw["description"], None, None, None, None, None)
settings = PolicySettings(scope="dev", exemptions=(Exemption("KV-05", ("kv-legacy",), "vault being migrated", "sec",
                                                             date(2099, 1, 1)),))
request = proto.ConfigureAnalyzerRequest()
levels = {"mandatory": proto.MANDATORY, "advisory": proto.ADVISORY, "disabled": proto.DISABLED}
for name, entry in pack_config(settings).items():
    entry = dict(entry)
    config = request.policyConfig[name]
    config.enforcementLevel = levels[entry.pop("enforcementLevel")]
    config.properties.update(entry)
servicer.Configure(request, None)

def analyze(name, props):
    struct = struct_pb2.Struct()
    struct.update(props)
    response = servicer.Analyze(proto.AnalyzeRequest(type="azure-native:keyvault:Vault", properties=struct,
                                                     urn="urn:pulumi:dev::p::azure-native:keyvault:Vault::" + name,
                                                     name=name), None)
    return [{"policy": d.policyName, "level": d.enforcementLevel, "message": d.message} for d in response.diagnostics]

print(json.dumps({
    "plain": analyze("kv-new", {"properties": {"enableRbacAuthorization": True}}),
    "exempt": analyze("kv-legacy", {"properties": {"enableRbacAuthorization": True}}),
    "unknown": analyze("kv-unknown", {"properties": {"enableRbacAuthorization": True,
                                                     "enablePurgeProtection": UNKNOWN_BOOLEAN_VALUE}}),
    "mandatory": proto.MANDATORY, "advisory": proto.ADVISORY,
}))
"""


def run():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_engine_judges_with_the_environment_levels_and_exemptions():
    result = run()
    plain = {d["policy"]: d for d in result["plain"]}
    # KV-01 is P: advisory in dev; KV-05 is A: mandatory everywhere.
    assert plain["kv-01-purge-protection"]["level"] == result["advisory"]
    assert plain["kv-05-acl-deny"]["level"] == result["mandatory"]
    assert "Purge protection is off" in plain["kv-01-purge-protection"]["message"]
    # The active exemption reaches the engine through the `exempt` config key.
    exempt = {d["policy"] for d in result["exempt"]}
    assert "kv-05-acl-deny" not in exempt and "kv-01-purge-protection" in exempt
    # An unknown value is reported as "can't run during preview", not as a violation.
    unknown = [d for d in result["unknown"] if d["policy"] == "kv-01-purge-protection"]
    assert unknown and "can't run policy" in unknown[0]["message"]
