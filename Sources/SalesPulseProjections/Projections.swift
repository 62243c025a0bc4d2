/// Pure projections over decoded events.
