# taskwatch — plain GNU make.  `make`, `make check`, `make demo`, `make deps`.

VERSION    = 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=

CC        ?= cc
PKGS       = libevent libcurl yaml-0.1 yajl libcrypto
DEB_PKGS   = libevent-dev libcurl4-openssl-dev libyajl-dev libyaml-dev \
             libssl-dev libcmocka-dev pkg-config valgrind mandoc \
             jq curl
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
              $(CFLAGS)
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

.PHONY: all check unit lint fuzz bench demo deps install uninstall clean

all: $(PROGS)

obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

bin/taskwatchd: obj/src/main.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

bin/taskwatchctl: $(CTL_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

bin/taskwatch-sim: $(SIM_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

tests/bin/%: obj/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL) -lcmocka

unit: $(UNIT_BINS)

# deps: install what is missing when root; otherwise say what to run.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
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

check: deps
	$(MAKE) all unit
	SANITIZE=$(SANITIZE) tests/run

demo: deps
	$(MAKE) all
	tests/demo/run

bench: deps
	$(MAKE) all
	@echo "bench: not yet implemented (issue 7)"

lint:
	clang-format --dry-run -Werror include/*.h src/*.c src/providers/*.c \
	    tools/*.c tools/sim/*.c tools/sim/*.h tests/unit/*.c
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

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/taskwatchd $(DESTDIR)$(SBINDIR)/taskwatchctl \
	    $(DESTDIR)$(BINDIR)/taskwatch-sim \
	    $(DESTDIR)$(SYSCONFDIR)/taskwatchd/taskwatchd.yaml.example
	for m in man/*.[158]; do [ -f "$$m" ] || continue; \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done

clean:
	rm -rf obj bin tests/bin

-include $(shell find obj -name '*.d' 2>/dev/null)
