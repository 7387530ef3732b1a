#!/usr/bin/env bash
# complete.sh COMPLETION_FILE VMGRCTL WORD...: sources bash-completion and
# vmgrctl's completion COMPLETION_FILE, completes the command line
# "vmgrctl WORD..." (the last WORD being completed, possibly empty) as
# bash would on Tab, with VMGRCTL as the vmgrctl it runs, and prints the
# candidates one per line, sorted.
set -u
completion=$1 vmgrctl=$2
shift 2
# shellcheck source=/dev/null
. /usr/share/bash-completion/bash_completion || exit 1
# shellcheck source=/dev/null
. "$completion" || exit 1
COMP_WORDS=("$vmgrctl" "$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_vmgrctl "vmgrctl" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort
