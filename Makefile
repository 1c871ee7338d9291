# kubegate: build, test, demo, run, install and the systemd service. `make help` lists every target.
# Works from the repository root and, through the thin Makefile there, from examples/k8s-api-proxy/.

ROOT        := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
DOTNET      ?= dotnet
JOURNALCTL  ?= journalctl
CONFIGURATION ?= Release
OUT         := $(ROOT)/out
KUBEGATE    := $(OUT)/kubegate
CONFIG      ?= examples/k8s-api-proxy/envoy.yaml
LOG_LEVEL   ?= info
DRAIN_TIME  ?= 600
# `make soak`: minutes of load (the report in docs/reliability.md is written from a full 30-minute run).
SOAK_MINUTES ?= 30
# Extra `dotnet publish` arguments, e.g. PUBLISH_ARGS="--artifacts-path /tmp/x" for a build from scratch.
PUBLISH_ARGS ?=

# Install locations (GNU style; DESTDIR is prepended when writing, the files name the final paths).
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= /etc
CONFDIR     ?= $(SYSCONFDIR)/kubegate
LOGDIR      ?= /var/log/kubegate
UNITDIR     ?= /etc/systemd/system
LOGROTATEDIR ?= $(SYSCONFDIR)/logrotate.d
# 0 installs KUBEGATE without checking that it runs on its own (tests install a framework-dependent build).
CHECK_BINARY ?= 1
SERVICE     := kubegate.service
# systemctl/journalctl need root for most of the service targets; none when already root.
SUDO        ?= $(if $(filter 0,$(shell id -u)),,sudo)

INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' SYSCONFDIR='$(SYSCONFDIR)' \
	CONFDIR='$(CONFDIR)' LOGDIR='$(LOGDIR)' UNITDIR='$(UNITDIR)' LOGROTATEDIR='$(LOGROTATEDIR)' \
	KUBEGATE='$(KUBEGATE)' CHECK_BINARY='$(CHECK_BINARY)'

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.DEFAULT_GOAL := help
.PHONY: help build publish test fuzz bench bench-micro soak demo run run-envoy validate reload clean \
	install uninstall purge install-service start-service stop-service restart-service status-service \
	logs-service uninstall-service

help: ## List every target with what it does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build kubegate into out/kubegate (framework-dependent, Release)
	cd $(ROOT) && $(DOTNET) publish src/Kubegate/Kubegate.csproj -c $(CONFIGURATION) -o $(OUT) -p:PublishAot=false --nologo -v quiet
	@echo "built $(KUBEGATE)"

publish: ## Build the NativeAOT single binary into out/kubegate (needs gcc or clang)
	cd $(ROOT) && $(DOTNET) publish src/Kubegate/Kubegate.csproj -c Release -r linux-x64 -p:PublishAot=true -o $(OUT) --nologo $(PUBLISH_ARGS)
	@echo "published $(KUBEGATE) (NativeAOT)"

test: ## Run every unit and functional test (real sockets, TLS and kubectl on 127.0.0.1)
	cd $(ROOT) && bash scripts/test.sh

# FUZZ_TARGET=all or a comma-separated list (bootstrap-yaml, bootstrap-json, lds, cds, eds, client-hello);
# FUZZ_SECONDS per target; more knobs at the top of scripts/fuzz.sh.
FUZZ_TARGET  ?= all
FUZZ_SECONDS ?= 60

fuzz: ## Fuzz the config loader and the ClientHello parser under afl-fuzz (FUZZ_TARGET, FUZZ_SECONDS); crashes go to fuzz/corpus
	cd $(ROOT) && FUZZ_TARGET='$(FUZZ_TARGET)' FUZZ_SECONDS='$(FUZZ_SECONDS)' DOTNET='$(DOTNET)' bash scripts/fuzz.sh

bench: publish ## Build the single binary, then run the load benchmarks (bench/run.sh)
	cd $(ROOT) && bash bench/run.sh

bench-micro: ## Run the BenchmarkDotNet micro-benchmarks (LB pick, config parse, access-log rendering)
	cd $(ROOT) && $(DOTNET) run -c Release --project bench/Kubegate.Benchmarks -- --filter '*'

soak: publish ## Soak the single binary for SOAK_MINUTES (default 30) under streams, requests, watches, reloads and flaps; writes docs/reliability.md and docs/soak.png
	cd $(ROOT) && SOAK_MINUTES=$(SOAK_MINUTES) bash soak/run.sh

demo: build ## Start three local test apiservers and kubegate (:6443, :6444), print kubectl commands; Ctrl-C stops all
	cd $(ROOT) && bash scripts/demo.sh

run: build ## Run kubegate in the foreground with CONFIG (default: the example config), from the repository root
	cd $(ROOT) && $(KUBEGATE) -c $(CONFIG) --log-level $(LOG_LEVEL) --drain-time-s $(DRAIN_TIME)

run-envoy: run ## Alias of `run` (the seed's target name)

validate: build ## Check CONFIG and every LDS/CDS/EDS file it references
	cd $(ROOT) && $(KUBEGATE) --mode validate -c $(CONFIG)

install: ## Copy out/kubegate to /usr/local/bin, the example config to /etc/kubegate (never over an existing one), the unit, the logrotate snippet
	@cd $(ROOT) && $(INSTALL_ENV) bash scripts/install.sh install

uninstall: ## Remove the binary, unit and logrotate snippet, and config files still unchanged since install (edited ones stay)
	@cd $(ROOT) && $(INSTALL_ENV) bash scripts/install.sh uninstall

purge: ## uninstall, then also remove /etc/kubegate and /var/log/kubegate with everything in them
	@cd $(ROOT) && $(INSTALL_ENV) bash scripts/install.sh purge

install-service: ## Install deploy/kubegate.service to /etc/systemd/system, create the kubegate user, enable (after install)
	@cd $(ROOT) && $(SUDO) env $(INSTALL_ENV) bash scripts/install.sh service-install

start-service: ## systemctl start kubegate (returns once listeners are up and the first health checks ran)
	$(SUDO) systemctl start $(SERVICE)

stop-service: ## systemctl stop kubegate (open connections get --drain-time-s 60 to finish)
	$(SUDO) systemctl stop $(SERVICE)

restart-service: ## systemctl restart kubegate (drops connections after the drain; prefer reload for config changes)
	$(SUDO) systemctl restart $(SERVICE)

reload: ## systemctl reload kubegate: re-read every config file, connections stay (same as kill -HUP)
	$(SUDO) systemctl reload $(SERVICE)

status-service: ## systemctl status kubegate
	@$(SUDO) systemctl status --no-pager --full $(SERVICE); status=$$?; [ $$status -le 3 ] # 3 = not running, still a status

# Follows only on a terminal: piped or run from a script, it prints the lines and ends instead of blocking forever.
logs-service: ## kubegate's journal: the last 100 lines, then follows it on a terminal (the access log is /var/log/kubegate/access.log)
	@follow=; [ -t 1 ] && follow=--follow; set -x; $(SUDO) $(JOURNALCTL) --unit $(SERVICE) --lines 100 --no-pager $$follow

uninstall-service: ## Stop and disable kubegate and remove its unit (binary, config and user stay)
	@cd $(ROOT) && $(SUDO) env $(INSTALL_ENV) bash scripts/install.sh service-uninstall

clean: ## Remove build output
	cd $(ROOT) && rm -rf out src/*/bin src/*/obj tests/*/bin tests/*/obj bench/*/bin bench/*/obj fuzz/*/bin fuzz/*/obj soak/*/bin soak/*/obj
