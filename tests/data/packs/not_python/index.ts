// Never run: present so the directory looks like a real TypeScript pack.
