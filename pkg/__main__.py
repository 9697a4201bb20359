from llmops_infra.cli.app import main

main()
