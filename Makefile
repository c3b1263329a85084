# pinhole: `make run` starts the server, `make test` runs every test.
# Both install what is missing first (Debian 12, apt-get).

BUILD ?= build
DATA ?= data
LISTEN ?= 127.0.0.1:8080

.PHONY: all deps test-deps run test fuzz soak format clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

$(BUILD)/build.ninja:
	meson setup $(BUILD)

run: all
	./$(BUILD)/pinhole serve --data-dir $(DATA) --listen $(LISTEN)

test: test-deps
	scripts/run-tests.sh

# Long fuzzing runs (default 10 minutes per target): make fuzz FUZZ_SECONDS=3600
fuzz: test-deps
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} scripts/run-tests.sh --fuzz-only

# Mixed realistic load on one server, 10 minutes by default (make soak SOAK_SECONDS=120):
# fails on a 500, or when memory or open descriptors grow (tests/soak/soak.mjs)
soak: all
	SOAK_SECONDS=$${SOAK_SECONDS:-600} node tests/soak/soak.mjs

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.c')

clean:
	rm -rf build build-san build-fuzz
