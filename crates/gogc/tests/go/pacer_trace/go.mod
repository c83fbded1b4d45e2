module pacer_trace

go 1.19
