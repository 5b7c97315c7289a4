# taskwatch — plain GNU make.  `make`, `make check`, `make demo`, `make deps`.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/taskwatch
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir \
                  systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR ?= $(or $(shell pkg-config --variable=sysusersdir systemd \
               2>/dev/null),/usr/lib/sysusers.d)
DESTDIR   ?=

CC        ?= cc
PKGS       = libevent libcurl yaml-0.1 yajl libcrypto
# What building and the demo need, then what the tests and benchmarks add.
DEB_BUILD  = libevent-dev libcurl4-openssl-dev libyajl-dev libyaml-dev \
             libssl-dev libcmocka-dev pkg-config jq curl
DEB_PKGS   = $(DEB_BUILD) valgrind mandoc clang libclang-rt-14-dev \
             systemd prometheus prometheus-alertmanager wrk python3-aiohttp \
             python3-aiosmtpd openssl tzdata \
             python3 etcd-server etcd-client $(DEB_PACKAGING)
# What `make deb` needs besides DEB_BUILD.
DEB_PACKAGING = debhelper dpkg-dev lintian fakeroot blhc
WARN       = -Wall -Wextra -Wvla -Wformat=2 -Wshadow -Wpointer-arith \
             -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN      += -Werror
endif
ifeq ($(SANITIZE),1)
SANFLAGS   = -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -DTASKWATCH_VERSION='"$(VERSION)"' \
              -iquote include $(PKG_CFLAGS) $(WARN) -O2 -g $(SANFLAGS) -MMD -MP \
              $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS_ALL    = $(PKG_LIBS) $(LDLIBS)

# Everything but main() goes into one static library the programs and the
# unit tests link against.
LIB_SRCS  = $(filter-out src/main.c, $(wildcard src/*.c src/providers/*.c))
LIB_OBJS  = $(LIB_SRCS:%.c=obj/%.o)
LIB       = obj/libtaskwatch.a
SIM_SRCS  = $(wildcard tools/sim/*.c)
SIM_OBJS  = $(SIM_SRCS:%.c=obj/%.o)
CTL_SRCS  = tools/taskwatchctl.c $(wildcard tools/ctl_*.c)
CTL_OBJS  = $(CTL_SRCS:%.c=obj/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=tests/bin/%)
PROGS     = bin/taskwatchd bin/taskwatchctl bin/taskwatch-sim

.PHONY: all check unit lint layers fuzz fuzz-build bench demo crashtest chaos deps deps-build deps-node \
        deps-deb deb install \
        uninstall clean

all: $(PROGS)

# Objects and programs are rebuilt when the flags change (SANITIZE=1 and a
# plain build must never be mixed).
FLAGS_STAMP := obj/.flags-$(shell printf '%s' '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | md5sum | cut -c1-12)
$(FLAGS_STAMP):
	@mkdir -p obj
	@rm -f obj/.flags-*
	@touch $@

obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

bin/taskwatchd: obj/src/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS_ALL)

bin/taskwatchctl: $(CTL_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS_ALL)

bin/taskwatch-sim: $(SIM_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS_ALL)

tests/bin/%: obj/tests/unit/%.o obj/tests/unit/testlib.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS_ALL) -lcmocka

# Helpers of the integration scripts (twtool needs no library; ha-driver
# runs etcd.c and ha.c against a real etcd).
TEST_TOOLS = tests/bin/twtool tests/bin/ha-driver

tests/bin/twtool: obj/tests/tools/twtool.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $<

tests/bin/ha-driver: obj/tests/tools/ha_driver.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS_ALL)

# The test time zones of tests/fixtures/tz, compiled by zic (libc-bin) both
# ways: fat (transitions to 2037) and slim (the footer's rule after the
# last transition).
ZIC     ?= $(or $(shell command -v zic 2>/dev/null),/usr/sbin/zic)
TEST_TZ  = tests/bin/tz/.built

$(TEST_TZ): tests/fixtures/tz/test.zi
	@rm -rf tests/bin/tz
	@mkdir -p tests/bin/tz
	$(ZIC) -b fat -d tests/bin/tz/fat $<
	$(ZIC) -b slim -d tests/bin/tz/slim $<
	@touch $@

unit: $(UNIT_BINS) $(TEST_TOOLS) $(TEST_TZ)

# libFuzzer targets: the library again, built by clang with the fuzzer's
# coverage and ASan + UBSan, into obj-fuzz/.
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 60
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -DTASKWATCH_VERSION='"$(VERSION)"' \
               -iquote include $(PKG_CFLAGS) -g -O1 $(FUZZ_SAN) -MMD -MP
FUZZ_OBJS    = $(LIB_SRCS:%.c=obj-fuzz/%.o)
FUZZ_SRCS    = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    = $(FUZZ_SRCS:tests/fuzz/%.c=tests/bin/fuzz/%)

obj-fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

obj-fuzz/libfuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

FUZZ_SIM_OBJS = $(patsubst %.c,obj-fuzz/%.o,$(filter-out tools/sim/sim_main.c,$(SIM_SRCS)))

tests/bin/fuzz/fuzz_scenario: tests/fuzz/fuzz_scenario.c $(FUZZ_SIM_OBJS) \
    obj-fuzz/libfuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -iquote tools/sim -fsanitize=fuzzer -o $@ \
	    $< $(FUZZ_SIM_OBJS) obj-fuzz/libfuzz.a $(PKG_LIBS)

tests/bin/fuzz/%: tests/fuzz/%.c obj-fuzz/libfuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    obj-fuzz/libfuzz.a $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(MAKE) fuzz-build
	FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run

# deps: install what is missing when root; otherwise say what to run.
# deps-build is the smaller set the build and the demo need, deps-deb
# what `make deb` needs.
deps: DEPS = $(DEB_PKGS)
deps-build: DEPS = $(DEB_BUILD)
deps-deb: DEPS = $(DEB_BUILD) $(DEB_PACKAGING)
deps deps-build deps-deb:
	@missing=""; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
		    grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -qq --no-install-recommends $$missing \
		    >/dev/null || exit 1; \
	else \
		echo "deps: missing packages; run as root:"; \
		echo "  apt-get install -y$$missing"; exit 1; \
	fi

# deps-node: the test-only npm packages of tests/node (the official
# Standard Webhooks verifier), pinned by its package-lock.json.  Node.js
# and npm come from Debian when the machine has no npm of its own.
deps: deps-node
deps-node:
	@if ! command -v npm >/dev/null 2>&1; then \
		$(MAKE) -s --no-print-directory deps-build \
		    DEB_BUILD="nodejs npm" || exit 1; fi
	@test -f tests/node/node_modules/standardwebhooks/package.json || \
	    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

# check runs the layer part of lint (clang-format is not in DEB_PKGS).
check: deps
	$(MAKE) all unit layers
	SANITIZE=$(SANITIZE) tests/run

demo: deps-build
	@$(MAKE) -s --no-print-directory all
	@tests/demo/run

# crashtest: the crash test of `make check` with more kills (N, default 1000).
N ?= 1000
crashtest: deps
	$(MAKE) all
	CRASH_KILLS=$(N) bash tests/integration/crash.sh

# chaos: seeded random faults against an oracle (tests/chaos/chaos.py):
# `make chaos SEED=42 MINUTES=30`; default a random seed, 30 minutes.
MINUTES ?= 30
chaos: deps
	$(MAKE) all
	python3 tests/chaos/chaos.py $(if $(SEED),--seed $(SEED)) \
	    --minutes $(MINUTES)

# bench: taskwatchd side by side with wrk, curl | jq and aiohttp on the
# simulator, and 10 HA failovers (bounded, a few minutes); prints and
# writes bench/results.md.
BENCH_TOOLS = bench/bin/readytime bench/bin/durations

bench/bin/durations: obj/bench/durations.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LIBS_ALL)

bench/bin/%: obj/bench/%.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $<

bench: deps
	$(MAKE) all tests/bin/twtool $(BENCH_TOOLS)
	bench/run

# layers: no include from a lower layer of HOUSE_STYLE.md to a higher one;
# the layers are a table in tests/tools/layers.py.
layers:
	python3 tests/tools/layers.py

lint: layers
	clang-format --dry-run -Werror include/*.h src/*.c src/providers/*.c \
	    tools/*.c tools/*.h tools/sim/*.c tools/sim/*.h tests/unit/*.c \
	    tests/tools/*.c bench/*.c
	mandoc -Tlint -Wwarning man/*.[0-9]

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 755 bin/taskwatchd $(DESTDIR)$(SBINDIR)/taskwatchd
	install -m 755 bin/taskwatchctl $(DESTDIR)$(SBINDIR)/taskwatchctl
	install -m 755 bin/taskwatch-sim $(DESTDIR)$(BINDIR)/taskwatch-sim
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	for m in man/*.[158]; do [ -f "$$m" ] || continue; \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	install -d $(DESTDIR)$(SYSCONFDIR)/taskwatchd
	install -m 644 conf/taskwatchd.yaml.example \
	    $(DESTDIR)$(SYSCONFDIR)/taskwatchd/taskwatchd.yaml.example
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	sed -e 's|/usr/sbin/taskwatchd|$(SBINDIR)/taskwatchd|g' \
	    -e 's|/etc/taskwatchd/|$(SYSCONFDIR)/taskwatchd/|g' \
	    systemd/taskwatchd.service >obj/taskwatchd.service.tmp && \
	    mv obj/taskwatchd.service.tmp obj/taskwatchd.service
	install -m 644 obj/taskwatchd.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/taskwatchd.service
	install -m 644 systemd/taskwatchd.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/taskwatchd.conf
	install -d $(DESTDIR)$(DOCDIR)/recipes
	install -m 644 systemd/recipes/* $(DESTDIR)$(DOCDIR)/recipes/

# deb: the Debian packages of debian/ (taskwatch, taskwatch-sim and their
# -dbgsym) with dpkg-buildpackage, into dist/ with the build log (.build,
# for blhc).  The build runs in a
# temporary copy of the working tree's files that git does not ignore:
# the package build's `make clean` then deletes nothing here, and no
# obj/ or bin/ of another build gets in, nor this make's flags (-s,
# SANITIZE=1, WERROR=1): the package is built with Debian's flags only.
deb: deps-deb
	@git rev-parse --git-dir >/dev/null 2>&1 || \
	    { echo "deb: needs a git checkout (it copies what git tracks)"; exit 1; }
	@v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
	    { echo "deb: debian/changelog is at $$v, the Makefile at" \
	    "$(VERSION): add a changelog entry (dch -v $(VERSION))"; exit 1; }
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/taskwatch-deb.XXXXXX") && \
	trap 'rm -rf "$$tmp"' EXIT && src=$$tmp/taskwatch-$(VERSION) && \
	mkdir "$$src" && \
	git ls-files --cached --others --exclude-standard | \
	    while IFS= read -r f; do [ ! -e "$$f" ] || echo "$$f"; done | \
	    tar --no-recursion -T - -cf - | tar -xf - -C "$$src" && \
	(cd "$$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE \
	    -u WERROR dpkg-buildpackage -us -uc -b) >"$$tmp/build.log" 2>&1 || \
	    { tail -n 40 "$$tmp/build.log"; echo "deb: dpkg-buildpackage failed"; \
	    exit 1; }; \
	mkdir -p dist && rm -f dist/taskwatch_* dist/taskwatch-* && \
	mv "$$tmp"/*_$(VERSION)_* dist/ && \
	mv "$$tmp/build.log" dist/taskwatch_$(VERSION)_$$(dpkg --print-architecture).build && \
	ls dist/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/taskwatchd $(DESTDIR)$(SBINDIR)/taskwatchctl \
	    $(DESTDIR)$(BINDIR)/taskwatch-sim \
	    $(DESTDIR)$(SYSCONFDIR)/taskwatchd/taskwatchd.yaml.example \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/taskwatchd.service \
	    $(DESTDIR)$(SYSUSERSDIR)/taskwatchd.conf
	for m in man/*.[158]; do [ -f "$$m" ] || continue; \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	for r in systemd/recipes/*; do \
	    rm -f $(DESTDIR)$(DOCDIR)/recipes/$${r##*/}; done
	rmdir $(DESTDIR)$(DOCDIR)/recipes $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	rmdir $(DESTDIR)$(SYSCONFDIR)/taskwatchd 2>/dev/null || true

clean:
	rm -rf obj obj-fuzz bin tests/bin bench/bin

-include $(shell find obj obj-fuzz -name '*.d' 2>/dev/null)
