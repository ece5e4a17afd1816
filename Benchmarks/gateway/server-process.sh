# Sourced by the gateway benchmarks: stop_server ends the server started in its own session
# (setsid) whose pid is $server_pid — its whole process group, TERM first, KILL after 10 s.
server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 -- "-$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
