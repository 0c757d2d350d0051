import './base.css';
import './ai.css';
import './history.css';
import './presence.css';
import './sharing.css';
