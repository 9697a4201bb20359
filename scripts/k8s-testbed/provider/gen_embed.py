"""Write the provider's go:embed inputs (schema-embed.json, terraform-mapping-embed.json).

The module zip of github.com/pulumi/pulumi-kubernetes/provider/v4 has schema.json and
terraform-mapping.json but not the *-embed.json files that `go generate` makes from them
(cmd/pulumi-resource-kubernetes/generate.go): this does what generate.go does (the schema with
its "version" set, both re-serialised compactly).

Usage: python3 gen_embed.py <module cmd dir> <output dir> <version>
"""

import json
import sys
from pathlib import Path

src, out, version = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
schema = json.loads((src / "schema.json").read_text())
schema["version"] = version
(out / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
mapping = json.loads((src / "terraform-mapping.json").read_text())
(out / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))
