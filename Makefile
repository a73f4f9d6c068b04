# Thin wrapper over CMake + Ninja + CTest so that a new user needs one command.
#   make demo   build, then run scsd with a small simulated fleet (the main job)
#   make check  build and run every test
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build check unit demo bench fuzz interop format format-check clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit -j $(JOBS)

demo: build
	bash scripts/demo.sh $(BUILD)

bench: build
	bash scripts/bench.sh $(BUILD)

fuzz: deps
	bash scripts/fuzz.sh

# Not part of check: installs MeshCentral from the npm registry (tests/interop/).
interop: build
	SCS_BIN=$(CURDIR)/$(BUILD)/bin bash tests/interop/meshcentral.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) fuzz-build
