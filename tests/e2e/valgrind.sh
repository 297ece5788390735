#!/bin/bash
# The end-to-end tests again, with procwatchd under valgrind: any memory
# error or leak makes the daemon exit 99, which fails "SIGTERM exits 0".
here=$(cd "$(dirname "$0")" && pwd)
export PW_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --suppressions=$here/valgrind.supp"
exec "$here/run.sh"
