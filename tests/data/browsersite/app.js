// The story is not in the HTML: it is built here from story.json, as news sites do.
fetch('story.json').then(r => r.json()).then(story => {
  document.getElementById('lead').textContent = story.lead;
  const box = document.getElementById('story');
  for (const text of story.paragraphs) {
    const p = document.createElement('p');
    p.textContent = text;
    box.appendChild(p);
  }
});
