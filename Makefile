# kubegate: build, test, demo and run. `make help` lists every target.
# Works from the repository root and, through the thin Makefile there, from examples/k8s-api-proxy/.

ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
DOTNET      ?= dotnet
CONFIGURATION ?= Release
OUT         := $(ROOT)/out
KUBEGATE    := $(OUT)/kubegate
CONFIG      ?= examples/k8s-api-proxy/envoy.yaml
LOG_LEVEL   ?= info
DRAIN_TIME  ?= 600

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.DEFAULT_GOAL := help
.PHONY: help build publish test bench-micro demo run run-envoy validate clean

help: ## List every target with what it does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build kubegate into out/kubegate (framework-dependent, Release)
	cd $(ROOT) && $(DOTNET) publish src/Kubegate/Kubegate.csproj -c $(CONFIGURATION) -o $(OUT) -p:PublishAot=false --nologo -v quiet
	@echo "built $(KUBEGATE)"

publish: ## Build the NativeAOT single binary into out/kubegate (needs gcc or clang)
	cd $(ROOT) && $(DOTNET) publish src/Kubegate/Kubegate.csproj -c Release -r linux-x64 -p:PublishAot=true -o $(OUT) --nologo
	@echo "published $(KUBEGATE) (NativeAOT)"

test: ## Run every unit and functional test (real sockets, TLS and kubectl on 127.0.0.1)
	cd $(ROOT) && bash scripts/test.sh

bench-micro: ## Run the BenchmarkDotNet micro-benchmarks (LB pick, config parse)
	cd $(ROOT) && $(DOTNET) run -c Release --project bench/Kubegate.Benchmarks -- --filter '*'

demo: build ## Start three local test apiservers and kubegate (:6443, :6444), print kubectl commands; Ctrl-C stops all
	cd $(ROOT) && bash scripts/demo.sh

run: build ## Run kubegate in the foreground with CONFIG (default: the example config), from the repository root
	cd $(ROOT) && $(KUBEGATE) -c $(CONFIG) --log-level $(LOG_LEVEL) --drain-time-s $(DRAIN_TIME)

run-envoy: run ## Alias of `run` (the seed's target name)

validate: build ## Check CONFIG and every LDS/CDS/EDS file it references
	cd $(ROOT) && $(KUBEGATE) --mode validate -c $(CONFIG)

clean: ## Remove build output
	cd $(ROOT) && rm -rf out src/*/bin src/*/obj tests/*/bin tests/*/obj bench/*/bin bench/*/obj
