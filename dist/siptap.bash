# bash completion for siptap (installed as
# PREFIX/share/bash-completion/completions/siptap). The options come from
# `siptap --help` and the fault names from `siptap faults` at the time of
# completion, so this file cannot fall behind the binary.
_siptap() {
  local cur prev cmd
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD - 1]}"
  cmd="${COMP_WORDS[1]:-}"

  if [[ $COMP_CWORD -eq 1 ]]; then
    mapfile -t COMPREPLY < <(compgen -W "run list faults help --help --version" -- "$cur")
    return
  fi
  [[ $cmd == run || $cmd == list ]] || return

  case "$prev" in
    --transport) mapfile -t COMPREPLY < <(compgen -W "udp tcp tls" -- "$cur"); return ;;
    --matrix) mapfile -t COMPREPLY < <(compgen -W "pairwise full" -- "$cur"); return ;;
    --tap-yaml) mapfile -t COMPREPLY < <(compgen -W "all failed" -- "$cur"); return ;;
    --tap-version) mapfile -t COMPREPLY < <(compgen -W "13 14" -- "$cur"); return ;;
    --uas-fault)
      mapfile -t COMPREPLY < <(compgen -W "$("${COMP_WORDS[0]}" faults 2>/dev/null | awk '{print $1}')" -- "$cur")
      return ;;
    --report-dir | --lua-dir)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --tls-cert | --todo)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --t1 | --timeout | --seed | --jobs | --workers | --filter | --shard | --rule | \
      --proxy | --uas-listen | --target | --agent)
      return ;;
  esac

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$("${COMP_WORDS[0]}" --help 2>/dev/null |
      grep -oE '^  --[a-z0-9-]+' | tr -d ' ')" -- "$cur")
    return
  fi
  # scenario files and folders
  mapfile -t COMPREPLY < <(compgen -f -X '!*.lua' -- "$cur"; compgen -d -- "$cur")
}
complete -F _siptap siptap
