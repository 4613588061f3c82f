#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs when they are missing.
#   scripts/system-deps.sh run    what the application needs (PDF rendering, fonts, gettext, pg_dump)
#   scripts/system-deps.sh test   the above, plus what the tests read PDFs and click pages with
set -euo pipefail

packages=(
  python3-venv        # .venv
  libpango-1.0-0      # WeasyPrint lays out text with Pango
  libpangoft2-1.0-0
  libharfbuzz-subset0 # WeasyPrint subsets CJK fonts fast with it
  fonts-noto-cjk      # Noto Serif/Sans CJK SC for circulars and pages
  fonts-arphic-ukai   # a Kai face for level-two headings of circulars
  fonts-symbola       # symbols and emoji pasted into documents (👉), drawn in print style
  gettext             # compilemessages
  postgresql-client   # pg_dump and pg_restore for manage.py backup and restore
)
if [ "${1:-run}" = test ]; then
  packages+=(poppler-utils chromium)
  # `docker compose config` validates docker-compose.yml where a docker client exists.
  if command -v docker >/dev/null && ! docker compose version >/dev/null 2>&1; then
    packages+=(docker-compose)
  fi
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# python3 -m venv may work without python3-venv (a pyenv or a self-built Python).
if [[ " ${missing[*]} " == *" python3-venv "* ]] && python3 -m venv --help >/dev/null 2>&1 && python3 -c "import ensurepip" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
# Any postgresql-client-NN will do (a server's own packages bring one).
if [[ " ${missing[*]} " == *" postgresql-client "* ]] && command -v pg_dump >/dev/null && command -v pg_restore >/dev/null; then
  missing=("${missing[@]/postgresql-client}")
fi
read -r -a missing <<<"${missing[*]}"
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]} (install them with your package manager)." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
