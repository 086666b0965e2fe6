# Wraps meson: `make bench` runs the project's benchmarks, `make test` the tests.
# Both install missing Debian packages first (tools/setup-deps.sh).

BUILD ?= build
MESON_ARGS ?=
BENCH_ARGS ?=

.PHONY: all deps build bench test clean

all: build

deps:
	@./tools/setup-deps.sh

$(BUILD)/build.ninja:
	@$(MAKE) --no-print-directory deps
	meson setup $(BUILD) $(MESON_ARGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

bench: build
	./$(BUILD)/benches/benchgate-benches --save --baseline auto --json $(BUILD)/bench-run.json $(BENCH_ARGS)
	@echo "run record: $(BUILD)/bench-run.json"
	@./$(BUILD)/benchgate report --out $(BUILD)/report $(BUILD)/bench-run.json

test: build
	meson test -C $(BUILD) --print-errorlogs

clean:
	rm -rf $(BUILD)
