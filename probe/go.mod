module cascade/probe

go 1.26
